from datetime import UTC, datetime, timedelta

from services.notifications.domain.calendar import Phase
from services.notifications.domain.records import escalation_due, record_judgement
from services.notifications.domain.verdicts import Verdict, judge
from shared.programme import load_programme
from shared.events.vocabulary import Title

from .factories import cell

FAMILY = load_programme().target(Title.LEARNING_FAMILY)
T0 = datetime(2024, 12, 20, tzinfo=UTC)


def judged(recognised: int, phase: Phase = Phase.FINAL):  # type: ignore[no-untyped-def]
    return judge(cell("29401", 2024, recognised), cell("29401", 2023, 72), FAMILY, phase)  # type: ignore[arg-type]


def test_a_miss_asks_for_a_missed_notice_every_time_and_remembers_when_it_first_missed() -> None:
    first, notices = record_judgement(None, judged(75), T0)
    again, notices_again = record_judgement(first, judged(74), T0 + timedelta(days=1))
    assert notices == notices_again == [Verdict.MISSED]
    assert first.missed_at == again.missed_at == T0


def test_a_miss_that_now_meets_is_resolved_exactly_once() -> None:
    missed, _ = record_judgement(None, judged(75), T0)
    met, notices = record_judgement(missed, judged(80), T0 + timedelta(days=3))
    assert notices == [Verdict.RESOLVED] and met.resolved_at == T0 + timedelta(days=3)
    still_met, notices = record_judgement(met, judged(81), T0 + timedelta(days=4))
    assert notices == [] and still_met.resolved_at == met.resolved_at


def test_a_year_met_from_the_start_is_never_resolved() -> None:
    _, notices = record_judgement(None, judged(80), T0)
    assert notices == []


def test_at_risk_and_insufficient_ask_for_their_notice_and_on_track_for_none() -> None:
    on_track = judge(cell("29401", 2026, 60, registered=110, assessed=65), cell("29401", 2025, 72), FAMILY, Phase.INTERIM)  # type: ignore[arg-type]
    assert on_track.verdict is Verdict.ON_TRACK and record_judgement(None, on_track, T0)[1] == []
    at_risk = judge(cell("29401", 2026, 50, registered=60, assessed=60), cell("29401", 2025, 72), FAMILY, Phase.INTERIM)  # type: ignore[arg-type]
    assert record_judgement(None, at_risk, T0)[1] == [Verdict.AT_RISK]
    insufficient = judge(cell("29401", 2024, 75, data_status="insufficient"), None, FAMILY, Phase.FINAL)  # type: ignore[arg-type]
    assert record_judgement(None, insufficient, T0)[1] == [Verdict.INSUFFICIENT]


def test_escalation_is_due_once_a_miss_stays_unresolved_long_enough() -> None:
    missed, _ = record_judgement(None, judged(75), T0)
    assert not escalation_due(missed, T0 + timedelta(days=29), timedelta(days=30))
    assert escalation_due(missed, T0 + timedelta(days=30), timedelta(days=30))
    resolved, _ = record_judgement(missed, judged(80), T0 + timedelta(days=2))
    assert not escalation_due(resolved, T0 + timedelta(days=60), timedelta(days=30))
