from services.metrics.domain.cells import Counts
from services.metrics.domain.indicators import (
    Policy,
    data_status,
    derive_series,
    projection,
    yearly_target,
)
from shared.events.vocabulary import Title
from shared.programme import load_programme

PROGRAMME = load_programme()
FAMILY = Policy(0.05, PROGRAMME.target(Title.LEARNING_FAMILY), PROGRAMME.first_year)


def test_an_area_without_a_total_from_the_registry_is_insufficient_never_zero_percent() -> None:
    figures = derive_series(
        {2024: Counts(total=0, registered=3, recognised=0, assessed=3)}, FAMILY
    )[2024]
    assert (
        figures.data_status == "insufficient"
        and figures.ratio_all is None
        and figures.ratio_registered is None
    )
    assert "no entities" in (figures.data_status_reason or "")


def test_households_without_any_decision_for_the_year_are_insufficient() -> None:
    figures = derive_series(
        {2024: Counts(total=120, registered=0, recognised=0, assessed=0)}, FAMILY
    )[2024]
    assert figures.ratio_all is None
    assert figures.data_status_reason == "120 entities but no decisions for 2024"


def test_registered_entities_waiting_for_decisions_beyond_the_tolerance_are_insufficient() -> None:
    assert data_status(Counts(100, 100, 60, 94), 2024, 0.05)[0] == "insufficient"
    assert data_status(Counts(100, 100, 60, 95), 2024, 0.05) == ("ok", None)
    assert "6 of 100 registered" in (data_status(Counts(100, 100, 60, 94), 2024, 0.05)[1] or "")


def test_zero_recognised_with_complete_data_is_a_real_zero() -> None:
    figures = derive_series(
        {2024: Counts(total=40, registered=10, recognised=0, assessed=10)}, FAMILY
    )[2024]
    assert figures.data_status == "ok" and figures.ratio_all == 0.0


def test_change_target_and_projection_come_from_the_series() -> None:
    series = {
        2024: Counts(100, 90, 60, 90),
        2025: Counts(100, 90, 64, 90),
        2026: Counts(100, 0, 0, 0),  # not assessed yet: no ratio, no change
    }
    figures = derive_series(series, FAMILY)
    assert figures[2025].change_points == 4.0
    assert figures[2025].target_percent == 63.0  # 60 % last year + the 3.0-point minimum growth
    assert figures[2025].projected_goal_year_percent == 84.0  # +4 a year from 2024 to 2030
    assert figures[2025].goal_percent == 80 and figures[2025].goal_year == 2030
    assert figures[2026].change_points is None and figures[2026].projected_goal_year_percent is None
    assert figures[2024].projected_goal_year_percent is None  # no pace from a single year


def test_the_pace_starts_at_the_earliest_year_with_data_when_the_programme_year_has_none() -> None:
    assert projection({2025: 50.0, 2027: 56.0}, 2027, 2030, 2024) == 65.0
    assert projection({2024: 90.0, 2025: 99.0}, 2025, 2030, 2024) == 100.0  # never above 100


def test_a_title_held_at_a_level_targets_that_level() -> None:
    assert yearly_target(PROGRAMME.target(Title.LEARNING_UNIT), None) == 90
    assert yearly_target(PROGRAMME.target(Title.LEARNING_FAMILY), 78.5) == 80  # capped at the goal
    assert yearly_target(None, 50.0) is None
