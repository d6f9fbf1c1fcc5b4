"""Resolved notices, digests with addenda, escalation, early warnings and data notices, from
figures in PostgreSQL to e-mails at a real SMTP server."""

from collections import Counter
from datetime import UTC, datetime

from services.notifications.domain.messages import message_id

from .support import Clock, family_year, indicator, make_stack, smtp_server

__all__ = ["smtp_server"]

HAMLETS = [indicator(f"29401-0{n}", year, got, total=40, level="hamlet", parent="29401", name=f"Ấp {n}")  # type: ignore[arg-type]
           for year, counts in ((2023, (22, 24, 26)), (2024, (23, 25, 27))) for n, got in enumerate(counts, 1)]


def keys(handler) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(m["X-Hoctap-Alert-Key"] for m in handler.messages)


async def test_late_data_resolves_a_miss_with_one_notice_threaded_under_the_alert(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    stack = await make_stack(make_settings, tmp_path, controller.port)
    try:
        await stack.receive(*family_year(2023, {"29401": 72, "29398": 72}), *family_year(2024, {"29401": 75, "29398": 81}), *HAMLETS)
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        await stack.deliver_all()
        await stack.receive(*family_year(2024, {"29401": 80, "29398": 81}, revision=2))  # late decisions counted
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        await stack.evaluator.run_once()
        await stack.deliver_all()
        verdict = await stack.verdict("29401", 2024)
    finally:
        await stack.close()

    assert keys(handler) == {"29401|learning_family|2024|missed": 1, "84|learning_family|2024|digest:missed": 1,
                             "29401|learning_family|2024|resolved": 1, "84|learning_family|2024|digest:resolved": 1}
    by_key = {m["X-Hoctap-Alert-Key"]: m for m in handler.messages}
    missed, resolved = by_key["29401|learning_family|2024|missed"], by_key["29401|learning_family|2024|resolved"]
    assert resolved["In-Reply-To"] == missed["Message-ID"] == message_id("29401|learning_family|2024|missed", "hoctap.test")
    assert "Ấp 1 (29401-01): 57,5% (23/40)" in missed.get_body(("plain",)).get_content(), "the lowest hamlets"
    assert (verdict.verdict, verdict.missed_at is not None, verdict.resolved_at is not None) == ("met", True, True)


async def test_a_province_covering_its_communes_gets_one_digest_and_a_late_miss_as_an_addendum(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    directory = "agencies:\n  - {id: tinh, name: Sở GD&ĐT, emails: [tinh@example.vn], areas: ['84'], levels: [commune]}\n"
    communes = {f"2930{n}": 70 for n in range(6)} | {"29310": 80}
    stack = await make_stack(make_settings, tmp_path, controller.port, directory=directory)
    try:
        await stack.receive(*family_year(2023, {c: 72 for c in communes}), *family_year(2024, communes))
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        await stack.deliver_all()
        await stack.receive(*family_year(2024, communes | {"29310": 71}, revision=2))
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        await stack.deliver_all()
    finally:
        await stack.close()
    assert keys(handler) == {"84|learning_family|2024|missed": 1, "84|learning_family|2024|digest:missed": 1,
                             "84|learning_family|2024|digest:missed:2": 1}
    first = {m["X-Hoctap-Alert-Key"]: m.get_body(("plain",)).get_content() for m in handler.messages}
    assert all(f"2930{n}" in first["84|learning_family|2024|digest:missed"] for n in range(6))
    assert "29310" in first["84|learning_family|2024|digest:missed:2"] and "29300" not in first["84|learning_family|2024|digest:missed:2"]


async def test_a_miss_unresolved_for_n_days_is_escalated_to_the_parent_once(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    stack = await make_stack(make_settings, tmp_path, controller.port, escalation_days=10)
    try:
        await stack.receive(*family_year(2023, {"29401": 72, "29398": 72}), *family_year(2024, {"29401": 75, "29398": 90}))
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        stack.clock.advance(days=9)
        await stack.evaluator.run_once()
        assert [m["X-Hoctap-Alert-Key"] for m in handler.messages] == [] and await stack.deliver_all() == 2
        stack.clock.advance(days=1)
        await stack.evaluator.run_once()
        stack.clock.advance(days=30)
        await stack.evaluator.run_once()
        await stack.deliver_all()
    finally:
        await stack.close()
    assert keys(handler)["84|learning_family|2024|digest:escalated"] == 1 and len(handler.messages) == 3
    [escalation] = [m for m in handler.messages if m["X-Hoctap-Alert-Key"] == "84|learning_family|2024|digest:escalated"]
    assert escalation["To"] == "tinh@example.vn"
    assert "chưa khắc phục sau 10 ngày" in escalation["Subject"]


async def test_an_early_warning_at_the_checkpoint_and_a_data_notice_for_insufficient_figures(make_settings, tmp_path, smtp_server) -> None:  # type: ignore[no-untyped-def]
    controller, handler = smtp_server
    stack = await make_stack(make_settings, tmp_path, controller.port, clock=Clock(datetime(2026, 11, 28, 5, tzinfo=UTC)))
    try:
        await stack.receive(
            *family_year(2025, {"29401": 80, "29398": 80}),
            indicator("29401", 2026, 78, registered=80, assessed=80),
            indicator("29398", 2026, 60, data_status="insufficient", data_status_reason="1 of 3 hamlets sent no count"),
            indicator("84", 2026, 138, total=240, level="province", parent=None, registered=200, assessed=150),  # type: ignore[arg-type]
        )
        stack.clock.advance(minutes=2)
        await stack.evaluator.run_once()
        await stack.deliver_all()
    finally:
        await stack.close()
    assert keys(handler) == {"29401|learning_family|2026|at_risk": 1, "84|learning_family|2026|digest:at_risk": 1,
                             "29398|learning_family|2026|insufficient": 1, "84|learning_family|2026|digest:insufficient": 1}
    warning = next(m for m in handler.messages if m["X-Hoctap-Alert-Key"] == "29401|learning_family|2026|at_risk")
    assert "dự báo 65,0% / cần 69,7%" in warning["Subject"]
    notice = next(m for m in handler.messages if m["X-Hoctap-Alert-Key"] == "29398|learning_family|2026|insufficient")
    assert notice["To"] == "hoathuan@example.vn" and "1 of 3 hamlets sent no count" in notice.get_body(("plain",)).get_content()
