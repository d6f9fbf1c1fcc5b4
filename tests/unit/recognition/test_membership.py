"""Who counts where in a year: hamlet history, removals, adults; and derived facts."""

from datetime import date

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.domain.cascade import derive_facts
from services.recognition.domain.membership import (
    CitizenRecord,
    Context,
    HouseholdRecord,
    Period,
    group_members,
    hamlet_in,
    hamlet_periods,
)
from shared.events.vocabulary import Title

BOOK = load_rule_book()


def household(periods: tuple[Period, ...], removed: date | None = None) -> HouseholdRecord:
    return HouseholdRecord(
        "hh", periods[-1].code, "c", "p", date(2020, 1, 1), removed, None, periods
    )


def test_a_household_counts_in_the_hamlet_it_lived_in_on_31_december() -> None:
    moved = household(
        hamlet_periods(
            "b",
            date(2020, 1, 1),
            (Period("a", date(2020, 1, 1), date(2025, 6, 30)), Period("b", date(2025, 7, 1))),
        )
    )
    assert (hamlet_in(moved, 2024), hamlet_in(moved, 2025)) == ("a", "b")


def test_a_history_that_stops_before_the_current_hamlet_is_completed_with_it() -> None:
    periods = hamlet_periods(
        "b", date(2020, 1, 1), (Period("a", date(2020, 1, 1), date(2024, 12, 1)),)
    )
    assert periods[-1] == Period("b", date(2024, 12, 2), None)


def test_a_household_removed_during_a_year_no_longer_counts_in_it() -> None:
    removed = household((Period("a", date(2020, 1, 1)),), removed=date(2025, 3, 1))
    assert (hamlet_in(removed, 2024), hamlet_in(removed, 2025)) == ("a", None)


def test_adults_are_those_18_or_older_on_31_december() -> None:
    context = Context(
        citizens=(
            CitizenRecord("old", 2007, "hh"),
            CitizenRecord("young", 2008, "hh"),
            CitizenRecord("gone", 1970, "hh", removed_on=date(2025, 1, 5)),
        )
    )
    assert group_members("household", "adult_members", "hh", context, 2025) == ["old"]
    assert group_members("household", "members", "hh", context, 2024) == ["old", "young", "gone"]


def test_the_evidence_wins_over_counting_and_a_count_is_marked_derived() -> None:
    rule_set = BOOK.for_year(Title.LEARNING_FAMILY, 2025)
    assert rule_set is not None
    context = Context(
        citizens=(CitizenRecord("a", 1980, "hh"), CitizenRecord("b", 1980, "hh")),
        granted=frozenset({"a"}),
    )
    counted = derive_facts(rule_set, {"adults_learning_citizens": None}, "hh", context, 2025)
    given = derive_facts(rule_set, {"adults_learning_citizens": 0}, "hh", context, 2025)
    assert counted == {"adults_learning_citizens": 1, "adults_learning_citizens.derived": True}
    assert given == {"adults_learning_citizens": 0}
