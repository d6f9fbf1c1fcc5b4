from datetime import date

from services.metrics.domain.hierarchy import AreaRecord, ParentPeriod
from services.metrics.domain.placement import (
    CitizenRecord,
    HomedRecord,
    HouseholdRecord,
    Span,
    citizen_spans,
    hamlet_spans,
    homed_spans,
    household_spans,
    leaf_in,
)
from shared.events.vocabulary import Level


def household(
    registered: str, removed: str | None = None, history: tuple[ParentPeriod, ...] = ()
) -> HouseholdRecord:
    return HouseholdRecord(
        "hh-1",
        "29401-01",
        history,
        date.fromisoformat(registered),
        date.fromisoformat(removed) if removed else None,
        1,
    )


def test_a_household_counts_from_its_registration_until_the_year_it_is_removed() -> None:
    assert household_spans(household("2021-05-01")) == (Span("29401-01", 2021, None),)
    assert household_spans(household("2021-05-01", removed="2024-03-01")) == (
        Span("29401-01", 2021, 2024),
    )
    assert household_spans(household("2024-03-01", removed="2024-09-01")) == ()


def test_a_household_that_moved_counts_where_it_lived_on_31_december() -> None:
    history = (
        ParentPeriod("29398-01", date(2019, 1, 1), date(2023, 6, 30)),
        ParentPeriod("29401-01", date(2023, 7, 1)),
    )
    spans = household_spans(household("2019-01-01", history=history))
    assert spans == (Span("29398-01", 2019, 2023), Span("29401-01", 2023, None))
    assert (
        leaf_in(spans, 2022) == "29398-01"
        and leaf_in(spans, 2023) == "29401-01"
        and leaf_in(spans, 2030) == "29401-01"
    )


def test_a_citizen_follows_its_household_but_only_from_birth_and_until_removal() -> None:
    home = (Span("29398-01", 2019, 2023), Span("29401-01", 2023, None))
    citizen = CitizenRecord("ct-1", "hh-1", 2021, date(2026, 2, 1), 1)
    assert citizen_spans(citizen, home) == (
        Span("29398-01", 2021, 2023),
        Span("29401-01", 2023, 2026),
    )
    assert citizen_spans(citizen, ()) == ()


def test_a_clan_counts_at_its_commune_of_each_year() -> None:
    history = (
        ParentPeriod("29398", date(2018, 1, 1), date(2025, 6, 30)),
        ParentPeriod("29400", date(2025, 7, 1)),
    )
    clan = HomedRecord("clan-1", "29400", history, date(2018, 1, 1), 1)
    assert homed_spans(clan) == (Span("29398", 2018, 2025), Span("29400", 2025, None))


def test_a_hamlet_counts_at_its_commune_while_it_exists_on_31_december() -> None:
    history = (
        ParentPeriod("29398", date(2015, 1, 1), date(2025, 6, 30)),
        ParentPeriod("29400", date(2025, 7, 1)),
    )
    hamlet = AreaRecord(
        "29398-01", Level.HAMLET, "Ấp", "29400", "86", date(2015, 1, 1), parent_history=history
    )
    assert hamlet_spans(hamlet) == (Span("29398", 2015, 2025), Span("29400", 2025, None))
    closed = AreaRecord(
        "29398-02", Level.HAMLET, "Ấp", "29398", "84", date(2015, 1, 1), valid_to=date(2024, 6, 30)
    )
    assert hamlet_spans(closed) == (Span("29398", 2015, 2024),)
