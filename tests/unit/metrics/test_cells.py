from datetime import date

from services.metrics.domain.cells import Cell, Counts, membership_years, percent, revise, roll_up
from shared.events.vocabulary import Level, Title


def cell(total: int, registered: int, recognised: int, revision: int = 0) -> Cell:
    return Cell(Title.LEARNING_FAMILY, 2024, Level.HAMLET, "29398-01", "29398", "84", Counts(total, registered, recognised), revision)


def test_a_new_empty_cell_is_not_kept() -> None:
    assert revise(None, cell(0, 0, 0)) is None


def test_a_new_cell_starts_at_revision_one_and_a_change_bumps_it() -> None:
    first = revise(None, cell(40, 30, 20))
    assert first is not None and first.revision == 1
    assert revise(first, cell(40, 30, 20)) is None
    second = revise(first, cell(40, 31, 21))
    assert second is not None and second.revision == 2


def test_parents_add_up_their_children() -> None:
    assert roll_up([Counts(40, 30, 20), Counts(10, 5, 1)]) == Counts(50, 35, 21)


def test_percent_has_no_value_without_a_denominator() -> None:
    assert percent(3, 0) is None
    assert percent(81, 120) == 67.5


def test_a_household_counts_from_its_registration_year_until_the_year_it_left() -> None:
    assert membership_years(date(2022, 6, 1), None) == (2022, None)
    assert membership_years(date(2022, 6, 1), date(2025, 1, 10)) == (2022, 2025)
