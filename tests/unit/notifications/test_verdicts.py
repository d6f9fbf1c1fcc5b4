from datetime import UTC, datetime

from shared.programme import Target
from services.notifications.domain.verdicts import Figures, Verdict, assess_growth
from services.notifications.handlers import cutoff_passed
from shared.events.vocabulary import Level, Title

FAMILY = Target(title=Title.LEARNING_FAMILY, goal_percent=80, growth_min_points=3.0, growth_max_points=3.5)


def figures(year: int, recognised: int, total: int = 120) -> Figures:
    return Figures(Title.LEARNING_FAMILY, year, Level.COMMUNE, "29401", "Xã Hòa Lợi", total, total - 10, recognised, 1)


def test_growth_below_the_target_is_missed_with_the_households_still_needed() -> None:
    assessment = assess_growth(figures(2024, 75), figures(2023, 72), FAMILY)
    assert assessment is not None
    assert assessment.verdict is Verdict.MISSED
    assert (assessment.growth_points, assessment.required_percent, assessment.shortfall_entities) == (2.5, 63.0, 1)
    assert assessment.alert_key == "29401|learning_family|2024|missed"


def test_growth_of_exactly_the_target_is_met() -> None:
    assessment = assess_growth(figures(2024, 63, total=100), figures(2023, 60, total=100), FAMILY)
    assert assessment is not None and assessment.verdict is Verdict.MET


def test_no_verdict_without_last_year_figures() -> None:
    assert assess_growth(figures(2024, 75), figures(2023, 0, total=0), FAMILY) is None


def test_a_hold_target_is_judged_against_its_level_not_growth() -> None:
    units = Target(title=Title.LEARNING_UNIT, goal_percent=90, hold_at_least_percent=90)
    held = assess_growth(figures(2024, 109), figures(2023, 110), units)
    dropped = assess_growth(figures(2024, 100), figures(2023, 110), units)
    assert held is not None and held.verdict is Verdict.MET
    assert dropped is not None and dropped.verdict is Verdict.MISSED and dropped.shortfall_entities == 8


def test_the_cutoff_is_midnight_of_15_december_in_vietnam() -> None:
    assert not cutoff_passed(2026, datetime(2026, 12, 14, 16, 59, tzinfo=UTC), cutoff="12-15", zone="Asia/Ho_Chi_Minh")
    assert cutoff_passed(2026, datetime(2026, 12, 14, 17, 0, tzinfo=UTC), cutoff="12-15", zone="Asia/Ho_Chi_Minh")
