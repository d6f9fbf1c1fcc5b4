"""The demo data of `make run` (shared/devstack/demo_province.yaml), as metrics
would count it, judged on the demo's today (2026-11-28) with the default calendar: a miss, an
early warning and the province's digests, nothing else."""

from collections import Counter
from datetime import UTC, datetime

from services.notifications.domain.verdicts import Verdict
from shared.devstack.demo import Demo
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title

from .support import Clock, make_stack, smtp_server

__all__ = ["smtp_server"]



def cells_of(demo: Demo, *, assessed_reported: bool) -> list[IndicatorChanged]:
    """Hamlet, commune and province cells per year (every registered household has a decision)."""
    size, cells = int(demo.spec["households_per_hamlet"]), []
    province = demo.spec["province"]

    def cell(code: str, level: Level, parent: str | None, name: str, year: int, total: int, registered: int, recognised: int) -> IndicatorChanged:
        return IndicatorChanged(title=Title.LEARNING_FAMILY, year=year, level=level, area_code=code, area_name=name,
                                parent_code=parent, total=total, registered=registered, recognised=recognised,
                                assessed=registered if assessed_reported else 0, ratio_all=None, ratio_registered=None,
                                rule_versions=("2016.1",), revision=1)

    for year in demo.years:
        for commune in demo.communes:
            for index, hamlet in enumerate(commune["hamlets"]):
                cells.append(cell(hamlet["code"], Level.HAMLET, commune["code"], hamlet["name"], year, size,
                                  commune["registered"][year][index], commune["recognised"][year][index]))
            total, registered, recognised = demo.expected()[(commune["code"], year)]
            cells.append(cell(commune["code"], Level.COMMUNE, province["code"], commune["name"], year, total, registered, recognised))
        total, registered, recognised = demo.expected()[(province["code"], year)]
        cells.append(cell(province["code"], Level.PROVINCE, None, province["name"], year, total, registered, recognised))
    return cells


async def judge_demo(make_settings, tmp_path, port: int, *, assessed_reported: bool):  # type: ignore[no-untyped-def]
    demo = Demo.load()
    agencies = demo.write_agencies(tmp_path / "demo-agencies.yaml").read_text(encoding="utf-8")
    stack = await make_stack(make_settings, tmp_path, port, clock=Clock(datetime(2026, 11, 28, 5, tzinfo=UTC)),
                             directory=agencies, variant="a" if assessed_reported else "b")
    try:
        await stack.receive(*cells_of(demo, assessed_reported=assessed_reported))
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        await stack.deliver_all()
        return {year: (await stack.verdict("29401", year)).verdict for year in (2024, 2025, 2026)}
    finally:
        await stack.close()


async def test_the_demo_gives_a_miss_an_early_warning_and_two_digests(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    verdicts = await judge_demo(make_settings, tmp_path, controller.port, assessed_reported=True)
    assert verdicts == {2024: Verdict.MISSED, 2025: Verdict.MET, 2026: Verdict.AT_RISK}
    assert Counter(m["X-Hoctap-Alert-Key"] for m in handler.messages) == {
        "29401|learning_family|2024|missed": 1, "84|learning_family|2024|digest:missed": 1,
        "29401|learning_family|2026|at_risk": 1, "84|learning_family|2026|digest:at_risk": 1,
    }
    warning = next(m for m in handler.messages if m["X-Hoctap-Alert-Key"].endswith("2026|at_risk"))
    assert "dự báo 67,5% / cần 73,0%" in warning["Subject"]
    assert "Ấp Bến Cát (29401-01): 65,0% (26/40)" in warning.get_body(("plain",)).get_content()


async def test_the_demos_early_warning_does_not_depend_on_metrics_reporting_assessed(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    verdicts = await judge_demo(make_settings, tmp_path, controller.port, assessed_reported=False)
    assert verdicts[2026] == Verdict.AT_RISK, "too few households registered: even all of them would miss"
    assert len(handler.messages) == 4
