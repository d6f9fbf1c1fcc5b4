from datetime import UTC, datetime

import pytest

from services.notifications.domain.calendar import Phase, ReportingCalendar, parse_month_day
from services.notifications.domain.verdicts import Verdict, judge
from shared.events.vocabulary import Title
from shared.programme import Target

from .factories import cell

FAMILY = Target(title=Title.LEARNING_FAMILY, goal_percent=80, growth_min_points=3.0, growth_max_points=3.5)
UNITS = Target(title=Title.LEARNING_UNIT, goal_percent=90, hold_at_least_percent=90)


def test_growth_below_the_target_is_missed_with_the_households_still_needed() -> None:
    judgement = judge(cell("29401", 2024, 75), cell("29401", 2023, 72), FAMILY, Phase.FINAL)
    assert judgement.verdict is Verdict.MISSED
    assert (judgement.growth_points, judgement.required_percent, judgement.shortfall) == (2.5, 63.0, 1)


def test_growth_of_exactly_the_target_is_met() -> None:
    judgement = judge(cell("29401", 2024, 63, total=100), cell("29401", 2023, 60, total=100), FAMILY, Phase.FINAL)
    assert judgement.verdict is Verdict.MET and judgement.shortfall == 0


def test_an_area_at_the_goal_only_has_to_stay_at_the_goal() -> None:
    judgement = judge(cell("29401", 2024, 81, total=100), cell("29401", 2023, 79, total=100), FAMILY, Phase.FINAL)
    assert judgement.verdict is Verdict.MET and judgement.required_percent == 80.0
    uncapped = FAMILY.model_copy(update={"growth_capped_at_goal": False})
    assert judge(cell("29401", 2024, 81, total=100), cell("29401", 2023, 79, total=100), uncapped, Phase.FINAL).verdict is Verdict.MISSED


def test_no_growth_verdict_without_last_years_figures() -> None:
    assert judge(cell("29401", 2024, 75), None, FAMILY, Phase.FINAL).verdict is Verdict.NOT_JUDGED
    assert judge(cell("29401", 2024, 75), cell("29401", 2023, 0, total=0), FAMILY, Phase.FINAL).verdict is Verdict.NOT_JUDGED


def test_a_hold_target_is_judged_against_its_level_even_without_last_year() -> None:
    assert judge(cell("29401", 2024, 109), cell("29401", 2023, 110), UNITS, Phase.FINAL).verdict is Verdict.MET
    dropped = judge(cell("29401", 2024, 100), None, UNITS, Phase.FINAL)
    assert dropped.verdict is Verdict.MISSED and dropped.shortfall == 8


def test_insufficient_figures_this_year_or_last_give_no_target_verdict_but_say_why() -> None:
    this_year = judge(cell("29401", 2024, 75, data_status="insufficient", data_status_reason="3 of 9 hamlets reported"),
                      cell("29401", 2023, 72), FAMILY, Phase.FINAL)
    assert this_year.verdict is Verdict.INSUFFICIENT and this_year.reason == "3 of 9 hamlets reported"
    last_year = judge(cell("29401", 2024, 75), cell("29401", 2023, 72, data_status="insufficient"), FAMILY, Phase.FINAL)
    assert last_year.verdict is Verdict.INSUFFICIENT and last_year.reason.startswith("2023: ")


def test_at_the_checkpoint_the_pass_rate_so_far_projects_the_year() -> None:
    # 60 % last year, 63 % required; 100 registered, 80 assessed, 48 recognised (60 % pass rate):
    # 48 + 20 x 0.6 = 60 of 120 -> 50 % projected: at risk.
    judgement = judge(cell("29401", 2026, 48, registered=100, assessed=80), cell("29401", 2025, 72), FAMILY, Phase.INTERIM)
    assert judgement.verdict is Verdict.AT_RISK
    assert (judgement.projected_percent, judgement.required_percent, judgement.projected_shortfall) == (50.0, 63.0, 16)


def test_a_good_pass_rate_with_enough_registrations_is_on_track() -> None:
    judgement = judge(cell("29401", 2026, 40, registered=110, assessed=45), cell("29401", 2025, 72), FAMILY, Phase.INTERIM)
    assert judgement.verdict is Verdict.ON_TRACK and judgement.projected_percent == 81.48


def test_before_any_decision_only_too_few_registrations_are_at_risk() -> None:
    enough = judge(cell("29401", 2026, 0, registered=90, assessed=0), cell("29401", 2025, 72), FAMILY, Phase.INTERIM)
    too_few = judge(cell("29401", 2026, 0, registered=70, assessed=0), cell("29401", 2025, 72), FAMILY, Phase.INTERIM)
    assert (enough.verdict, too_few.verdict) == (Verdict.ON_TRACK, Verdict.AT_RISK)


def test_the_cutoff_and_checkpoint_are_midnight_in_vietnam() -> None:
    calendar = ReportingCalendar("09-30", "12-15", "Asia/Ho_Chi_Minh")
    assert calendar.phase(2026, datetime(2026, 9, 29, 16, 59, tzinfo=UTC)) is None
    assert calendar.phase(2026, datetime(2026, 9, 29, 17, 0, tzinfo=UTC)) is Phase.INTERIM
    assert calendar.phase(2026, datetime(2026, 12, 14, 16, 59, tzinfo=UTC)) is Phase.INTERIM
    assert calendar.phase(2026, datetime(2026, 12, 14, 17, 0, tzinfo=UTC)) is Phase.FINAL


def test_calendar_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="not a MM-DD date"):
        parse_month_day("15/12")
    with pytest.raises(ValueError, match="not a day of every year"):
        parse_month_day("02-29")
    with pytest.raises(ValueError, match="must come before the cut-off"):
        ReportingCalendar("12-20", "12-15")
    with pytest.raises(ValueError, match="unknown time zone"):
        ReportingCalendar("09-30", "12-15", "Asia/Hanoi-City")


def test_figures_that_do_not_count_assessments_treat_the_recognised_as_assessed() -> None:
    # 81 recognised, 85 registered, "0 assessed" (a producer that does not count them): at most 85.
    judgement = judge(cell("29401", 2026, 81, registered=85, assessed=0), cell("29401", 2025, 84), FAMILY, Phase.INTERIM)
    assert judgement.projected_percent == 70.83 and judgement.verdict is Verdict.AT_RISK
