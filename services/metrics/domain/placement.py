"""Where each entity counts, year by year: the denominators of the five titles.

An entity counts in year Y in the area where it was on 31 December Y, if it existed then:
households (registered by and not removed before that day) at their hamlet; citizens at their
household's hamlet while alive and not removed; clans and units at their commune; hamlets (the
Learning Community title) at their commune. The result is a short list of year spans per entity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from .hierarchy import AreaRecord, ParentPeriod, in_force, parent_on, year_end


@dataclass(frozen=True, slots=True)
class Span:
    """The entity counts at `leaf_code` in every year from `from_year` up to (not incl.) `until_year`."""

    leaf_code: str
    from_year: int
    until_year: int | None = None

    def covers(self, year: int) -> bool:
        return self.from_year <= year and (self.until_year is None or year < self.until_year)


@dataclass(frozen=True, slots=True)
class HouseholdRecord:
    household_id: str
    hamlet_code: str
    hamlet_history: tuple[ParentPeriod, ...]
    registered_on: date
    removed_on: date | None
    version: int


@dataclass(frozen=True, slots=True)
class CitizenRecord:
    citizen_id: str
    household_id: str | None
    birth_year: int
    removed_on: date | None
    version: int


@dataclass(frozen=True, slots=True)
class HomedRecord:
    """A clan or a learning unit: one commune at a time, from its registration."""

    entity_id: str
    commune_code: str
    commune_history: tuple[ParentPeriod, ...]
    registered_on: date
    version: int


def leaf_in(spans: Iterable[Span], year: int) -> str | None:
    return next((s.leaf_code for s in spans if s.covers(year)), None)


def year_spans(
    first_year: int,
    until_year: int | None,
    boundaries: Iterable[date],
    leaf_at: Callable[[int], str | None],
) -> tuple[Span, ...]:
    """Group the years from `first_year` (until `until_year`) into spans of one leaf.

    The leaf on 31 December can only change in a year holding a boundary (a day a period starts
    or the day after one ends), so the function is evaluated at those years only.
    """
    if until_year is not None and until_year <= first_year:
        return ()
    change_years = sorted(
        {first_year}
        | {
            d.year
            for d in boundaries
            if d.year > first_year and (until_year is None or d.year < until_year)
        }
    )
    spans: list[Span] = []
    for index, year in enumerate(change_years):
        end = change_years[index + 1] if index + 1 < len(change_years) else until_year
        leaf = leaf_at(year)
        if leaf is None:
            continue
        if spans and spans[-1].leaf_code == leaf and spans[-1].until_year == year:
            spans[-1] = Span(leaf, spans[-1].from_year, end)
        else:
            spans.append(Span(leaf, year, end))
    return tuple(spans)


def _boundaries(periods: Iterable[ParentPeriod]) -> list[date]:
    days: list[date] = []
    for period in periods:
        days.append(period.valid_from)
        if period.valid_to is not None:
            days.append(date.fromordinal(period.valid_to.toordinal() + 1))
    return days


def household_spans(household: HouseholdRecord) -> tuple[Span, ...]:
    first, until = (
        household.registered_on.year,
        household.removed_on.year if household.removed_on else None,
    )

    def hamlet_at(year: int) -> str:
        return in_force(household.hamlet_history, year_end(year)) or household.hamlet_code

    return year_spans(first, until, _boundaries(household.hamlet_history), hamlet_at)


def citizen_spans(citizen: CitizenRecord, household: tuple[Span, ...]) -> tuple[Span, ...]:
    """The household's spans, cut to the years the citizen was born by and not yet removed."""
    first = citizen.birth_year
    until = citizen.removed_on.year if citizen.removed_on else None
    spans: list[Span] = []
    for span in household:
        start = max(span.from_year, first)
        ends = [e for e in (span.until_year, until) if e is not None]
        end = min(ends) if ends else None
        if end is None or start < end:
            spans.append(Span(span.leaf_code, start, end))
    return tuple(spans)


def homed_spans(entity: HomedRecord) -> tuple[Span, ...]:
    def commune_at(year: int) -> str:
        return in_force(entity.commune_history, year_end(year)) or entity.commune_code

    return year_spans(
        entity.registered_on.year, None, _boundaries(entity.commune_history), commune_at
    )


def hamlet_spans(hamlet: AreaRecord) -> tuple[Span, ...]:
    """A hamlet as a Learning Community candidate: at its commune while it exists on 31 December."""
    # A hamlet closed before 31 December no longer counts that year.
    until = None
    if hamlet.valid_to is not None:
        until = (
            hamlet.valid_to.year + 1
            if hamlet.valid_to >= year_end(hamlet.valid_to.year)
            else hamlet.valid_to.year
        )

    def commune_at(year: int) -> str | None:
        return parent_on(hamlet, year_end(year))

    return year_spans(hamlet.valid_from.year, until, _boundaries(hamlet.parent_history), commune_at)


def every_place(
    households: Iterable[HouseholdRecord],
    citizens: Iterable[CitizenRecord],
    homed: Iterable[tuple[str, HomedRecord]],
    hamlets: Iterable[AreaRecord],
) -> dict[tuple[str, str], tuple[Span, ...]]:
    """Where every entity counts, keyed by (title value, entity id), from the snapshots alone."""
    places: dict[tuple[str, str], tuple[Span, ...]] = {}
    homes = {h.household_id: household_spans(h) for h in households}
    places.update({("learning_family", household): spans for household, spans in homes.items()})
    for citizen in citizens:
        places[("learning_citizen", citizen.citizen_id)] = citizen_spans(
            citizen, homes.get(citizen.household_id or "", ())
        )
    for title, entity in homed:
        places[(title, entity.entity_id)] = homed_spans(entity)
    for hamlet in hamlets:
        places[("learning_community", hamlet.code)] = hamlet_spans(hamlet)
    return {key: spans for key, spans in places.items() if spans}
