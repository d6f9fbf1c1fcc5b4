"""The slice of the registry a batch of facts works on, and what it changed.

The handler loads every entity the facts refer to into a World; the pure functions in
areas.py, population.py and yearly.py read and replace entities in it; the handler then saves
what changed and publishes one snapshot per changed entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from shared.events.vocabulary import Title

from .model import (
    AdministrativeUnit,
    Citizen,
    Clan,
    Evidence,
    Household,
    Missing,
    Refused,
    Registration,
    Unit,
)

YearKey = tuple[Title, str, int]
_FIELDS = {
    "unit": "units",
    "household": "households",
    "citizen": "citizens",
    "clan": "clans",
    "learning_unit": "learning_units",
    "registration": "registrations",
    "evidence": "evidence",
}


class Stale(Refused):
    """The fact is older than what the registry already holds for the entity."""

    def __init__(self, what: str, key: str, held: datetime, got: datetime) -> None:
        super().__init__(
            "stale", f"{what} {key} already reflects a fact of {held.isoformat()}; this one is of {got.isoformat()}"
        )


@dataclass
class World:
    units: dict[str, AdministrativeUnit] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)
    citizens: dict[str, Citizen] = field(default_factory=dict)
    clans: dict[str, Clan] = field(default_factory=dict)
    learning_units: dict[str, Unit] = field(default_factory=dict)
    registrations: dict[YearKey, Registration] = field(default_factory=dict)
    evidence: dict[YearKey, Evidence] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    changed: dict[tuple[str, object], None] = field(default_factory=dict)
    touched: dict[tuple[str, object], None] = field(default_factory=dict)
    refresh_subtrees: set[str] = field(default_factory=set)
    successors: set[str] = field(default_factory=set)

    def _mark(self, kind: str, key: object) -> None:
        self.changed.pop((kind, key), None)
        self.changed[(kind, key)] = None

    def unit(self, code: str) -> AdministrativeUnit:
        found = self.units.get(code)
        if found is None:
            raise Missing("administrative unit", code)
        return found

    def household(self, household_id: str) -> Household:
        found = self.households.get(household_id)
        if found is None:
            raise Missing("household", household_id)
        return found

    def citizen(self, citizen_id: str) -> Citizen:
        found = self.citizens.get(citizen_id)
        if found is None:
            raise Missing("citizen", citizen_id)
        return found

    def clan(self, clan_id: str) -> Clan:
        found = self.clans.get(clan_id)
        if found is None:
            raise Missing("clan", clan_id)
        return found

    def learning_unit(self, unit_id: str) -> Unit:
        found = self.learning_units.get(unit_id)
        if found is None:
            raise Missing("unit", unit_id)
        return found

    def put_unit(self, unit: AdministrativeUnit) -> None:
        self.units[unit.code] = unit
        self._mark("unit", unit.code)

    def put_household(self, household: Household) -> None:
        self.households[household.household_id] = household
        self._mark("household", household.household_id)

    def put_citizen(self, citizen: Citizen) -> None:
        self.citizens[citizen.citizen_id] = citizen
        self._mark("citizen", citizen.citizen_id)

    def put_clan(self, clan: Clan) -> None:
        self.clans[clan.clan_id] = clan
        self._mark("clan", clan.clan_id)

    def put_learning_unit(self, unit: Unit) -> None:
        self.learning_units[unit.unit_id] = unit
        self._mark("learning_unit", unit.unit_id)

    def put_registration(self, registration: Registration) -> None:
        key = (registration.title, registration.entity_id, registration.year)
        self.registrations[key] = registration
        self._mark("registration", key)

    def put_evidence(self, evidence: Evidence) -> None:
        key = (evidence.title, evidence.entity_id, evidence.year)
        self.evidence[key] = evidence
        self._mark("evidence", key)

    def stamp(self, kind: str, key: object, at: datetime) -> None:
        """Remember that a fact of time `at` was seen for an entity it did not change, so an older
        fact arriving later is recognised as stale (saved, but nothing is published)."""
        store = getattr(self, _FIELDS[kind])
        entity = store.get(key)
        if entity is None or (entity.last_fact_at is not None and entity.last_fact_at >= at):
            return
        store[key] = replace(entity, last_fact_at=at)
        if (kind, key) not in self.changed:
            self.touched[(kind, key)] = None

    def ancestors(self, code: str) -> list[str]:
        """`code` and its current parents up to the province (as far as they are loaded)."""
        chain, seen = [], set()
        current: str | None = code
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            unit = self.units.get(current)
            current = unit.parent_code if unit else None
        return chain


def check_fresh(what: str, key: str, held: datetime | None, at: datetime) -> None:
    if held is not None and at < held:
        raise Stale(what, key, held, at)


def later(held: datetime | None, at: datetime) -> datetime:
    return at if held is None or at > held else held
