"""Who belongs to what in a year: recognition's projections of the registry, and the rules that
place a citizen in a household or unit and a household in a clan or hamlet for an assessment year.

The same functions serve the service (over rows read from its tables) and the what-if simulation
(over a whole population in memory), so both count members alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

ADULT_AGE = 18


@dataclass(frozen=True, slots=True)
class Period:
    code: str
    valid_from: date
    valid_to: date | None = None  # inclusive; None = still

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class CitizenRecord:
    citizen_id: str
    birth_year: int
    household_id: str | None = None
    unit_ids: tuple[str, ...] = ()
    removed_on: date | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class HouseholdRecord:
    household_id: str
    hamlet_code: str
    commune_code: str
    province_code: str
    registered_on: date
    removed_on: date | None = None
    clan_id: str | None = None
    periods: tuple[Period, ...] = ()
    version: int = 1


@dataclass(frozen=True, slots=True)
class UnitRecord:
    unit_id: str
    commune_code: str
    province_code: str
    member_count: int
    version: int = 1


@dataclass(frozen=True, slots=True)
class ClanRecord:
    clan_id: str
    home_commune_code: str
    home_hamlet_code: str | None
    province_code: str
    version: int = 1


@dataclass(frozen=True, slots=True)
class AreaRecord:
    code: str
    level: str
    name: str
    parent_code: str | None
    province_code: str
    version: int = 1


@dataclass(frozen=True, slots=True)
class Context:
    """What the cascade knows about one entity's members for one year."""

    citizens: tuple[CitizenRecord, ...] = ()
    households: tuple[HouseholdRecord, ...] = ()
    granted: frozenset[str] = frozenset()
    """Members granted their title (Learning Citizen or Learning Family) this year, current rules."""
    snapshot: dict[str, float] = field(default_factory=dict)


def year_end(year: int) -> date:
    return date(year, 12, 31)


def hamlet_periods(
    current: str, registered_on: date, history: tuple[Period, ...]
) -> tuple[Period, ...]:
    """Where a household lived, always ending in its current hamlet (the registry's history may
    be empty, or stop before the current hamlet)."""
    if not history:
        return (Period(current, registered_on, None),)
    ordered = tuple(sorted(history, key=lambda p: p.valid_from))
    if any(p.code == current and p.valid_to is None for p in ordered):
        return ordered
    ends = [p.valid_to for p in ordered if p.valid_to is not None]
    start = max(ends) + timedelta(days=1) if ends else registered_on
    return (*ordered, Period(current, start, None))


def household_counted(household: HouseholdRecord, year: int) -> bool:
    """Registered by and not removed before 31 December of the year (as metrics counts)."""
    removed = household.removed_on
    return household.registered_on.year <= year and (removed is None or removed.year > year)


def hamlet_in(household: HouseholdRecord, year: int) -> str | None:
    """The hamlet the household lived in on 31 December of the year, if it was counted then."""
    if not household_counted(household, year):
        return None
    day = year_end(year)
    for period in household.periods or (Period(household.hamlet_code, household.registered_on),):
        if period.covers(day):
            return period.code
    return None


def citizen_counted(citizen: CitizenRecord, year: int) -> bool:
    return citizen.removed_on is None or citizen.removed_on.year > year


def is_adult(citizen: CitizenRecord, year: int) -> bool:
    return year - citizen.birth_year >= ADULT_AGE


def group_members(kind: str, group: str, entity_id: str, context: Context, year: int) -> list[str]:
    """The ids of an entity's members in a group for the year (see derived.GROUPS_OF)."""
    if kind == "household" and group in ("members", "adult_members"):
        adults_only = group == "adult_members"
        return [
            c.citizen_id
            for c in context.citizens
            if c.household_id == entity_id
            and citizen_counted(c, year)
            and (not adults_only or is_adult(c, year))
        ]
    if kind == "unit" and group == "members":
        return [
            c.citizen_id
            for c in context.citizens
            if entity_id in c.unit_ids and citizen_counted(c, year)
        ]
    if kind == "clan" and group == "member_households":
        return [
            h.household_id
            for h in context.households
            if h.clan_id == entity_id and household_counted(h, year)
        ]
    if kind == "hamlet" and group == "households":
        return [h.household_id for h in context.households if hamlet_in(h, year) == entity_id]
    raise ValueError(f"a {kind} has no group {group!r}")
