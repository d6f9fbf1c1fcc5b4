from datetime import date

from services.metrics.domain.cells import (
    Cell,
    CellKey,
    Counts,
    Figures,
    Hierarchy,
    Tally,
    TallySum,
    membership_years,
    percent,
    revise,
    roll_up,
)
from shared.events.vocabulary import Level, Title

KEY = CellKey(Title.LEARNING_FAMILY, 2024, Hierarchy.CURRENT, Level.HAMLET, "29398-01")


def cell(
    total: int, registered: int, recognised: int, revision: int = 0, parent: str = "29398"
) -> Cell:
    return Cell(
        KEY,
        parent,
        "Ấp Đa Hòa Bắc",
        Tally.of(Counts(total, registered, recognised, registered)),
        Figures(),
        revision,
    )


def test_a_new_empty_cell_is_not_kept() -> None:
    assert revise(None, cell(0, 0, 0)) is None


def test_a_new_cell_starts_at_revision_one_and_a_change_bumps_it() -> None:
    first = revise(None, cell(40, 30, 20))
    assert first is not None and first.revision == 1
    assert revise(first, cell(40, 30, 20)) is None
    second = revise(first, cell(40, 31, 21))
    assert second is not None and second.revision == 2


def test_a_new_parent_alone_is_a_change_a_reader_sees() -> None:
    first = revise(None, cell(40, 30, 20))
    moved = revise(first, cell(40, 30, 20, parent="29400"))
    assert moved is not None and moved.revision == 2 and moved.parent_code == "29400"


def test_parents_add_up_their_children() -> None:
    assert roll_up([Counts(40, 30, 20), Counts(10, 5, 1)]) == Counts(50, 35, 21)


def test_tallies_add_and_subtract_counts_and_rule_versions() -> None:
    a = Tally.of(Counts(10, 8, 5, 8), {"2016.1": 8})
    b = Tally.of(Counts(5, 5, 4, 5), {"2016.1": 2, "2024.1": 3})
    assert (a + b).rule_versions == ("2016.1", "2024.1")
    assert (a + b - b) == a
    assert (a - a).is_zero


def test_a_running_sum_equals_adding_tallies_one_by_one() -> None:
    tallies = [Tally.of(Counts(1, 1, n % 2, 1), {f"v{n % 3}": 1}) for n in range(9)]
    running = TallySum()
    for tally in tallies:
        running.add(tally)
    running.add(tallies[0], -1)
    assert running.tally() == sum(tallies[1:], Tally())


def test_percent_has_no_value_without_a_denominator() -> None:
    assert percent(3, 0) is None
    assert percent(81, 120) == 67.5


def test_a_household_counts_from_its_registration_year_until_the_year_it_left() -> None:
    assert membership_years(date(2022, 6, 1), None) == (2022, None)
    assert membership_years(date(2022, 6, 1), date(2025, 1, 10)) == (2022, 2025)
