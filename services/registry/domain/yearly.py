"""Registrations and evidence: per entity, title and year.

Evidence for a year also registers the entity for that year. A correction replaces the evidence
(new version); identical evidence changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from shared.events.vocabulary import Level, Title

from .model import Evidence, Refused, Registration
from .world import World, check_fresh, later

ENTITY_KIND = {
    Title.LEARNING_FAMILY: "household",
    Title.LEARNING_CLAN: "clan",
    Title.LEARNING_COMMUNITY: "hamlet",
    Title.LEARNING_UNIT: "unit",
    Title.LEARNING_CITIZEN: "citizen",
}


def _entity_since(world: World, title: Title, entity_id: str) -> date:
    """When the entity began; raises Missing when it is not registered."""
    if title == Title.LEARNING_FAMILY:
        household = world.household(entity_id)
        if household.removed_on is not None:
            raise Refused("invalid_fact", f"household {entity_id} was removed on {household.removed_on}")
        return household.registered_on
    if title == Title.LEARNING_CLAN:
        return world.clan(entity_id).registered_on
    if title == Title.LEARNING_UNIT:
        return world.learning_unit(entity_id).registered_on
    if title == Title.LEARNING_COMMUNITY:
        hamlet = world.unit(entity_id)
        if hamlet.level != Level.HAMLET:
            raise Refused("invalid_fact", f"{entity_id} is a {hamlet.level.value}; the Learning Community title is for hamlets")
        return hamlet.valid_from
    world.citizen(entity_id)
    return date(1900, 1, 1)


def _check_year(world: World, title: Title, entity_id: str, year: int, today: date) -> None:
    since = _entity_since(world, title, entity_id)
    if year < since.year:
        raise Refused("invalid_fact", f"{year} predates {ENTITY_KIND[title]} {entity_id} ({since.isoformat()})")
    if year > today.year:
        raise Refused("invalid_fact", f"{year} is in the future")


def submit_registration(world: World, title: Title, entity_id: str, year: int, registered: bool, at: datetime, today: date) -> bool:
    _check_year(world, title, entity_id, year, today)
    return _register(world, title, entity_id, year, registered, at)


def _register(world: World, title: Title, entity_id: str, year: int, registered: bool, at: datetime) -> bool:
    key = (title, entity_id, year)
    existing = world.registrations.get(key)
    if existing is None:
        world.put_registration(Registration(title, entity_id, year, registered, 1, at))
        return True
    check_fresh("registration of", f"{entity_id} for {title.value} {year}", existing.last_fact_at, at)
    if existing.registered == registered:
        return False
    world.put_registration(replace(existing, registered=registered, version=existing.version + 1,
                                   last_fact_at=later(existing.last_fact_at, at)))
    return True


def submit_evidence(world: World, title: Title, entity_id: str, year: int, facts: dict[str, Any], at: datetime, today: date) -> bool:
    _check_year(world, title, entity_id, year, today)
    key = (title, entity_id, year)
    existing = world.evidence.get(key)
    if existing is not None:
        check_fresh("evidence of", f"{entity_id} for {title.value} {year}", existing.last_fact_at, at)
    changed = _register(world, title, entity_id, year, True, at) if not _registered(world, key) else False
    if existing is not None and existing.facts == facts:
        return changed
    version = existing.version + 1 if existing else 1
    world.put_evidence(Evidence(title, entity_id, year, facts, version, later(existing.last_fact_at if existing else None, at)))
    return True


def _registered(world: World, key: tuple[Title, str, int]) -> bool:
    registration = world.registrations.get(key)
    return registration is not None and registration.registered
