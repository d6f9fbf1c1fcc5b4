"""Applying area facts: register, rename, reparent, merge (the 2025 reform) and close.

A merger keeps every code: the sources end the day before `effective_on` and name the target as
their successor (the crosswalk); their hamlets move under the target. When the target is also a
source it continues (renamed, re-kinded, under a new parent), as the NSO did for the unit holding
the seat. Moving children is cheap here; re-publishing the households below them happens in
bounded background steps (`refresh_subtrees`, `successors`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from shared.events.inbound import (
    AdministrativeUnitClosed,
    AdministrativeUnitRegistered,
    AdministrativeUnitRenamed,
    AdministrativeUnitReparented,
    AdministrativeUnitsMerged,
)
from shared.events.vocabulary import Level

from .model import AdministrativeUnit, Period, Refused, moved
from .world import World, check_fresh, later

PARENT_LEVELS: dict[Level, tuple[Level, ...]] = {
    Level.PROVINCE: (),
    Level.DISTRICT: (Level.PROVINCE,),
    Level.COMMUNE: (Level.DISTRICT, Level.PROVINCE),
    Level.HAMLET: (Level.COMMUNE,),
}


def _check_parent(world: World, level: Level, parent_code: str | None, on: date) -> AdministrativeUnit | None:
    if parent_code is None:
        if level != Level.PROVINCE:
            raise Refused("invalid_fact", f"a {level.value} needs a parent")
        return None
    parent = world.unit(parent_code)
    allowed = PARENT_LEVELS[level]
    if parent.level not in allowed:
        raise Refused(
            "invalid_fact",
            f"a {level.value} cannot sit under a {parent.level.value} ({parent_code}); "
            f"expected {' or '.join(level.value for level in allowed)}",
        )
    if parent.valid_to is not None and parent.valid_to < on:
        raise Refused("invalid_fact", f"parent {parent_code} ended on {parent.valid_to.isoformat()}")
    return parent


def register_unit(world: World, fact: AdministrativeUnitRegistered, at: datetime) -> bool:
    parent = _check_parent(world, fact.level, fact.parent_code, fact.valid_from)
    existing = world.units.get(fact.code)
    if existing is not None:
        check_fresh("administrative unit", fact.code, existing.last_fact_at, at)
        if existing.level != fact.level:
            raise Refused("invalid_fact", f"unit {fact.code} is registered as a {existing.level.value}, not a {fact.level.value}")
        if existing.parent_code != fact.parent_code:
            raise Refused(
                "invalid_fact",
                f"unit {fact.code} is registered under {existing.parent_code}; publish administrative-unit-reparented to move it",
            )
        if (existing.name, existing.kind, existing.valid_from) == (fact.name, fact.kind, fact.valid_from):
            return False
        world.put_unit(replace(existing, name=fact.name, kind=fact.kind, valid_from=fact.valid_from,
                               version=existing.version + 1, last_fact_at=later(existing.last_fact_at, at)))
        return True
    world.put_unit(
        AdministrativeUnit(
            code=fact.code,
            level=fact.level,
            name=fact.name,
            kind=fact.kind,
            parent_code=fact.parent_code,
            parent_history=(Period(fact.parent_code, fact.valid_from),) if fact.parent_code else (),
            province_code=parent.province_code if parent else fact.code,
            valid_from=fact.valid_from,
            valid_to=None,
            successor_code=None,
            version=1,
            last_fact_at=at,
        )
    )
    world.children.setdefault(fact.parent_code or "", []).append(fact.code)
    return True


def rename_unit(world: World, fact: AdministrativeUnitRenamed, at: datetime) -> bool:
    unit = world.unit(fact.code)
    check_fresh("administrative unit", fact.code, unit.last_fact_at, at)
    if unit.name == fact.name:
        return False
    world.put_unit(replace(unit, name=fact.name, version=unit.version + 1, last_fact_at=later(unit.last_fact_at, at)))
    return True


def reparent_unit(world: World, fact: AdministrativeUnitReparented, at: datetime) -> bool:
    unit = world.unit(fact.code)
    check_fresh("administrative unit", fact.code, unit.last_fact_at, at)
    if unit.parent_code == fact.parent_code:
        return False
    if not unit.open:
        raise Refused("invalid_fact", f"unit {fact.code} ended on {unit.valid_to}")
    parent = _check_parent(world, unit.level, fact.parent_code, fact.effective_on)
    assert parent is not None
    _move_under(world, unit, parent, fact.effective_on, at)
    return True


def _move_under(world: World, unit: AdministrativeUnit, parent: AdministrativeUnit, on: date, at: datetime) -> None:
    world.put_unit(
        replace(
            unit,
            parent_code=parent.code,
            parent_history=moved(unit.parent_history, parent.code, on),
            province_code=parent.province_code,
            version=unit.version + 1,
            last_fact_at=later(unit.last_fact_at, at),
        )
    )
    world.refresh_subtrees.add(unit.code)


def merge_units(world: World, fact: AdministrativeUnitsMerged, at: datetime) -> bool:
    target_fact = fact.target
    on = fact.effective_on
    last_day = on - timedelta(days=1)
    sources = [world.unit(code) for code in fact.source_codes]
    for source in sources:
        if source.level != target_fact.level:
            raise Refused("invalid_fact", f"cannot merge {source.level.value} {source.code} into a {target_fact.level.value}")
        check_fresh("administrative unit", source.code, source.last_fact_at, at)
        already = source.successor_code == target_fact.code and source.valid_to == last_day
        if source.code != target_fact.code and not source.open and not already:
            raise Refused("invalid_fact", f"unit {source.code} already ended on {source.valid_to}")
    parent = _check_parent(world, target_fact.level, target_fact.parent_code, on)
    target = world.units.get(target_fact.code)
    changed = False
    if target is None:
        target = AdministrativeUnit(
            code=target_fact.code,
            level=target_fact.level,
            name=target_fact.name,
            kind=target_fact.kind,
            parent_code=target_fact.parent_code,
            parent_history=(Period(target_fact.parent_code, on),) if target_fact.parent_code else (),
            province_code=parent.province_code if parent else target_fact.code,
            valid_from=on,
            valid_to=None,
            successor_code=None,
            version=1,
            last_fact_at=at,
        )
        world.put_unit(target)
        changed = True
    else:
        if target.level != target_fact.level:
            raise Refused("invalid_fact", f"target {target.code} is a {target.level.value}, not a {target_fact.level.value}")
        updated = replace(target, name=target_fact.name, kind=target_fact.kind or target.kind)
        if parent is not None and target.parent_code != parent.code:
            updated = replace(
                updated,
                parent_code=parent.code,
                parent_history=moved(target.parent_history, parent.code, on),
                province_code=parent.province_code,
            )
        if updated != target:
            target = replace(updated, version=target.version + 1, last_fact_at=later(target.last_fact_at, at))
            world.put_unit(target)
            changed = True
    world.refresh_subtrees.add(target.code)
    for source in sources:
        if source.code == target.code:
            continue
        if source.successor_code == target.code and source.valid_to == last_day:
            continue  # this merger was already applied
        world.put_unit(
            replace(source, valid_to=last_day, successor_code=target.code, version=source.version + 1,
                    last_fact_at=later(source.last_fact_at, at))
        )
        world.successors.add(source.code)
        for child_code in world.children.get(source.code, []):
            child = world.units.get(child_code)
            if child is not None and child.open and child.parent_code == source.code:
                _move_under(world, child, target, on, at)
        changed = True
    return changed


def close_unit(world: World, fact: AdministrativeUnitClosed, at: datetime) -> bool:
    unit = world.unit(fact.code)
    check_fresh("administrative unit", fact.code, unit.last_fact_at, at)
    if unit.valid_to == fact.valid_to and unit.successor_code == fact.successor_code:
        return False
    if fact.valid_to < unit.valid_from:
        raise Refused("invalid_fact", f"unit {fact.code} cannot end ({fact.valid_to}) before it began ({unit.valid_from})")
    if fact.successor_code is not None:
        world.unit(fact.successor_code)
    still_open = sorted(
        code
        for code in world.children.get(fact.code, [])
        if (child := world.units.get(code)) is not None and child.parent_code == fact.code and child.open
    )
    if still_open:
        shown = ", ".join(still_open[:10]) + (" ..." if len(still_open) > 10 else "")
        raise Refused("invalid_fact", f"unit {fact.code} still has open children ({shown}); move or close them first")
    world.put_unit(
        replace(unit, valid_to=fact.valid_to, successor_code=fact.successor_code, version=unit.version + 1,
                last_fact_at=later(unit.last_fact_at, at))
    )
    if fact.successor_code:
        world.successors.add(fact.code)
    return True
