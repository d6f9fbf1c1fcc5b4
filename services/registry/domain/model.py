"""The registry's entities, and the two ways a fact can fail.

Entities are frozen dataclasses; a fact produces new versions of them. `last_fact_at` is the
publisher's `ce_time` of the last fact applied to the entity: an older fact is stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.events.vocabulary import Level, Title


class Refused(Exception):
    """A fact the registry will not apply. `code`: invalid_fact, unknown_reference, not_authorised."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Missing(Refused):
    """A reference that may still arrive (a member before its household): the fact waits."""

    def __init__(self, what: str, key: str) -> None:
        super().__init__("unknown_reference", f"{what} {key} is not registered")
        self.what = what
        self.key = key


@dataclass(frozen=True, slots=True)
class Period:
    code: str
    valid_from: date
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class AdministrativeUnit:
    code: str
    level: Level
    name: str
    kind: str | None
    parent_code: str | None
    parent_history: tuple[Period, ...]
    province_code: str
    valid_from: date
    valid_to: date | None
    successor_code: str | None
    version: int
    last_fact_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.valid_to is None


@dataclass(frozen=True, slots=True)
class Household:
    household_id: str
    hamlet_code: str
    commune_code: str
    province_code: str
    hamlet_history: tuple[Period, ...]
    registered_on: date
    removed_on: date | None
    clan_id: str | None
    head_citizen_id: str | None
    version: int
    last_fact_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Citizen:
    citizen_id: str
    birth_year: int
    household_id: str | None
    unit_ids: tuple[str, ...]
    national_id_hmac: str | None
    removed_on: date | None
    version: int
    last_fact_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Clan:
    clan_id: str
    name: str
    home_commune_code: str
    home_hamlet_code: str | None
    commune_history: tuple[Period, ...]
    province_code: str
    registered_on: date
    version: int
    last_fact_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    unit_id: str
    name: str
    kind: str
    commune_code: str
    commune_history: tuple[Period, ...]
    province_code: str
    member_count: int
    registered_on: date
    version: int
    last_fact_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    title: Title
    entity_id: str
    year: int
    registered: bool
    version: int
    last_fact_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Yearly evidence for a title; `facts` is the evidence model dumped to JSON."""

    title: Title
    entity_id: str
    year: int
    facts: dict[str, Any] = field(hash=False)
    version: int = 1
    last_fact_at: datetime | None = None


def moved(history: tuple[Period, ...], code: str, on: date) -> tuple[Period, ...]:
    """Close the open period and open one at `code` from `on` (no-op when already there).

    >>> moved((Period("a", date(2020, 1, 1)),), "b", date(2025, 7, 1))[-1]
    Period(code='b', valid_from=datetime.date(2025, 7, 1), valid_to=None)
    """
    if history and history[-1].code == code and history[-1].valid_to is None:
        return history
    closed = tuple(
        Period(p.code, p.valid_from, p.valid_to if p.valid_to is not None else max(p.valid_from, _day_before(on)))
        for p in history
    )
    return (*closed, Period(code, on))


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)
