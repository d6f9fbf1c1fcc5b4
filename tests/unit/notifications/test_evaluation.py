"""The evaluation use case on in-memory stores: verdicts, notices, digests, escalation."""

from datetime import UTC, datetime, timedelta

from services.notifications.domain.notices import Kind, Status
from services.notifications.domain.verdicts import Verdict
from services.notifications.handlers import Policy, Report, evaluate
from shared.events.vocabulary import Level, Title
from shared.programme import parse_programme, load_programme

from .factories import DEFAULT_DIRECTORY, INTERIM_2026, agency, cell, directory, policy
from .fakes import FakeEvaluationUnitOfWork

T0 = datetime(2025, 1, 10, tzinfo=UTC)  # after the 2024 cut-off
SETTLED = T0 + timedelta(minutes=20)


def province(year: int, recognised: int, **extra: object):  # type: ignore[no-untyped-def]
    return cell("84", year, recognised, total=240, level=Level.PROVINCE, parent=None, **extra)


def figures_2024(**communes: int):  # type: ignore[no-untyped-def]
    """Both years for each commune (72 of 120 in 2023) and the province."""
    cells = [province(2023, 72 * len(communes)), province(2024, sum(communes.values()))]
    for code, recognised in communes.items():
        cells += [cell(code, 2023, 72), cell(code, 2024, recognised)]
    return cells


async def load(uow: FakeEvaluationUnitOfWork, cells, at: datetime = T0) -> None:  # type: ignore[no-untyped-def]
    await uow.indicators.save_latest(cells, at)


async def run(uow: FakeEvaluationUnitOfWork, now: datetime, rules: Policy | None = None) -> Report:
    async with uow:
        return await evaluate(uow, now, rules or policy())


def keys(report: Report) -> list[str]:
    return [n.key for n in report.notices]


async def test_a_settled_miss_gives_the_commune_one_alert_and_the_province_one_digest() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, figures_2024(**{"29401": 75, "29398": 81}))

    assert keys(await run(uow, T0 + timedelta(minutes=1))) == [], "figures younger than the settle period wait"
    report = await run(uow, SETTLED)

    assert keys(report) == ["29401|learning_family|2024|missed", "84|learning_family|2024|digest:missed"]
    assert report.verdicts == {Verdict.MISSED: 1, Verdict.MET: 2}
    alert, digest = uow.notices.emails.values()
    assert alert.recipients == ("hoa-loi@example.vn",) and digest.recipients == ("tinh@example.vn",)
    assert "29401" in digest.text and "29398" not in digest.text
    assert keys(await run(uow, SETTLED + timedelta(hours=1))) == [], "judging again owes nothing new"


async def test_forty_communes_missing_give_the_province_one_email_not_forty() -> None:
    uow = FakeEvaluationUnitOfWork()
    communes = {f"{29300 + n}": 70 for n in range(40)}
    rules = policy(directory(agency("tinh", "84", levels=["commune"])))
    await load(uow, figures_2024(**communes))

    report = await run(uow, SETTLED, rules)

    assert [n.status for n in report.notices if n.kind is Kind.AREA] == [Status.COVERED] * 40
    [digest] = uow.notices.sendable().values()
    assert digest.alert_key == "84|learning_family|2024|digest:missed"
    assert sum(1 for line in digest.text.splitlines() if line.startswith("Xã 29")) == 40


async def test_an_area_without_an_agency_is_recorded_unrouted_and_still_listed_in_the_digest() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, figures_2024(**{"29999": 70}))
    await run(uow, SETTLED)
    notice = uow.notices.notices["29999|learning_family|2024|missed"]
    assert notice.status is Status.UNROUTED and "29999|learning_family|2024|missed" not in uow.notices.emails
    assert "29999" in uow.notices.emails["84|learning_family|2024|digest:missed"].text


async def test_the_digest_waits_for_every_sibling_and_a_later_miss_gets_an_addendum() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, figures_2024(**{"29401": 75, "29398": 81}))
    await load(uow, [cell("29398", 2024, 82, revision=2)], at=T0 + timedelta(minutes=10))

    first = await run(uow, SETTLED)
    assert keys(first) == ["29401|learning_family|2024|missed"], "29398 changed 10 minutes ago: the digest waits"
    assert keys(await run(uow, SETTLED + timedelta(minutes=10))) == ["84|learning_family|2024|digest:missed"]

    await load(uow, [cell("29398", 2024, 70, revision=3)], at=SETTLED + timedelta(hours=1))  # late correction: now a miss
    late = await run(uow, SETTLED + timedelta(hours=2))
    assert keys(late) == ["29398|learning_family|2024|missed", "84|learning_family|2024|digest:missed:2"]
    addendum = uow.notices.emails["84|learning_family|2024|digest:missed:2"]
    assert "29398" in addendum.text and "29401" not in addendum.text


async def test_late_data_that_meets_the_target_resolves_the_miss_once_for_the_area_and_the_province() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, figures_2024(**{"29401": 75}))
    await run(uow, SETTLED)
    await load(uow, [cell("29401", 2024, 80, revision=2)], at=SETTLED)

    report = await run(uow, SETTLED + timedelta(minutes=20))

    assert keys(report) == ["29401|learning_family|2024|resolved", "84|learning_family|2024|digest:resolved"]
    assert uow.notices.emails["29401|learning_family|2024|resolved"].references == (
        uow.notices.emails["29401|learning_family|2024|missed"].message_id,
    )
    await load(uow, [cell("29401", 2024, 74, revision=3)], at=SETTLED + timedelta(hours=1))
    await load(uow, [cell("29401", 2024, 81, revision=4)], at=SETTLED + timedelta(hours=2))
    assert keys(await run(uow, SETTLED + timedelta(hours=1, minutes=20))) == []
    assert keys(await run(uow, SETTLED + timedelta(hours=2, minutes=20))) == [], "one resolved notice, however it flaps"


async def test_a_miss_unresolved_for_the_configured_days_is_escalated_to_the_parent_once() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, figures_2024(**{"29401": 75, "29398": 70}))
    await run(uow, SETTLED)

    assert keys(await run(uow, SETTLED + timedelta(days=29))) == []
    report = await run(uow, SETTLED + timedelta(days=30))
    assert keys(report) == ["29398|learning_family|2024|escalated", "29401|learning_family|2024|escalated",
                            "84|learning_family|2024|escalated", "84|learning_family|2024|digest:escalated"]
    assert uow.notices.notices["84|learning_family|2024|escalated"].status is Status.UNROUTED, "the province has no parent"
    escalation = uow.notices.emails["84|learning_family|2024|digest:escalated"]
    assert escalation.recipients == ("tinh@example.vn",) and "30 ngày" in escalation.text
    assert keys(await run(uow, SETTLED + timedelta(days=90))) == []


async def test_at_the_interim_checkpoint_a_pace_that_projects_a_miss_warns_early() -> None:
    uow = FakeEvaluationUnitOfWork()
    at = INTERIM_2026 - timedelta(hours=1)
    await load(uow, [cell("29401", 2025, 80), cell("29401", 2026, 76, registered=100, assessed=100),
                     cell("29398", 2025, 80), cell("29398", 2026, 90, registered=110, assessed=100)], at=at)

    report = await run(uow, INTERIM_2026)

    assert keys(report) == ["29401|learning_family|2026|at_risk", "84|learning_family|2026|digest:at_risk"]
    assert uow.verdicts.records[("29398", Title.LEARNING_FAMILY, 2026)].verdict is Verdict.ON_TRACK


async def test_insufficient_data_sends_no_target_alert_but_one_notice_to_the_agency_owning_the_data() -> None:
    uow = FakeEvaluationUnitOfWork()
    agencies = directory(agency("tinh", "84"), agency("hoa-loi", "29401", roles=["targets"]),
                         agency("thong-ke", "29401", roles=["data"]))
    await load(uow, figures_2024(**{"29401": 75})[:-1] + [cell("29401", 2024, 75, data_status="insufficient", data_status_reason="no count")])

    report = await run(uow, SETTLED, policy(agencies))

    assert "29401|learning_family|2024|missed" not in keys(report)
    assert uow.notices.emails["29401|learning_family|2024|insufficient"].recipients == ("thong-ke@example.vn",)
    assert "84|learning_family|2024|digest:insufficient" in keys(report)


async def test_years_outside_the_programme_and_exempt_areas_get_no_alert() -> None:
    uow = FakeEvaluationUnitOfWork()
    document = load_programme().model_dump(mode="json")
    document["overrides"] = [{"area_code": "29401", "title": "learning_family", "applies": False, "reason": "pilot"}]
    await load(uow, [cell("29401", 2022, 60), cell("29401", 2023, 50), cell("29401", 2024, 40)])

    report = await run(uow, SETTLED, policy(programme=parse_programme(document, "p")))

    assert keys(report) == []
    assert uow.verdicts.records[("29401", Title.LEARNING_FAMILY, 2024)].reason == "exempt: pilot"
    assert ("29401", Title.LEARNING_FAMILY, 2023) not in uow.verdicts.records


async def test_a_replica_that_finds_another_evaluating_does_nothing() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, figures_2024(**{"29401": 75}))
    uow.locked_by_someone_else = True
    report = await run(uow, SETTLED)
    assert report.locked_out and uow.notices.notices == {} and uow.commits == 0


async def test_the_default_directory_routes_the_demo_areas() -> None:
    assert DEFAULT_DIRECTORY.responsible("29401", Level.COMMUNE, ["84"]).id == "hoa-loi"  # type: ignore[union-attr]


async def test_a_parent_without_an_agency_passes_its_digest_up_to_the_nearest_ancestor_with_one() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, [cell("847", 2024, 200, total=360, level=Level.DISTRICT, parent="84"),
                     cell("29401", 2023, 72, parent="847"), cell("29401", 2024, 75, parent="847")])
    report = await run(uow, SETTLED)
    assert keys(report) == ["29401|learning_family|2024|missed", "847|learning_family|2024|digest:missed"]
    assert uow.notices.emails["847|learning_family|2024|digest:missed"].recipients == ("tinh@example.vn",)


async def test_an_area_that_meets_again_before_its_group_settles_is_not_listed_as_missed() -> None:
    uow = FakeEvaluationUnitOfWork()
    await load(uow, figures_2024(**{"29401": 75, "29398": 81}))
    await load(uow, [cell("29398", 2024, 82, revision=2)], at=T0 + timedelta(minutes=10))
    await run(uow, SETTLED)  # 29401 missed; the digest waits for 29398
    await load(uow, [cell("29401", 2024, 80, revision=2)], at=SETTLED)
    report = await run(uow, SETTLED + timedelta(minutes=20))
    assert keys(report) == ["29401|learning_family|2024|resolved", "84|learning_family|2024|digest:resolved"]
    assert "84|learning_family|2024|digest:missed" not in uow.notices.notices
