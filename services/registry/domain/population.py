"""Applying facts about households, citizens, clans and learning units."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from shared.events.inbound import (
    CitizenRegistered,
    ClanJoined,
    ClanLeft,
    ClanRegistered,
    HouseholdMoved,
    HouseholdRegistered,
    HouseholdRemoved,
    HouseholdUpdated,
    MemberAdded,
    MemberRemoved,
    UnitMemberAdded,
    UnitMemberRemoved,
    UnitRegistered,
    UnitUpdated,
)
from shared.events.vocabulary import Level

from .model import AdministrativeUnit, Citizen, Clan, Household, Period, Refused, Unit, moved
from .world import World, check_fresh, later


def _open_area(world: World, code: str, level: Level) -> AdministrativeUnit:
    unit = world.unit(code)
    if unit.level != level:
        raise Refused("invalid_fact", f"{code} is a {unit.level.value}, not a {level.value}")
    if not unit.open:
        raise Refused("invalid_fact", f"{level.value} {code} ended on {unit.valid_to}; use its successor {unit.successor_code}")
    return unit


def register_household(world: World, fact: HouseholdRegistered, at: datetime) -> bool:
    hamlet = _open_area(world, fact.hamlet_code, Level.HAMLET)
    existing = world.households.get(fact.household_id)
    if existing is not None:
        check_fresh("household", fact.household_id, existing.last_fact_at, at)
        if existing.hamlet_code != fact.hamlet_code:
            raise Refused(
                "invalid_fact",
                f"household {fact.household_id} is registered in {existing.hamlet_code}; publish household-moved to move it",
            )
        return False
    world.put_household(
        Household(
            household_id=fact.household_id,
            hamlet_code=hamlet.code,
            commune_code=hamlet.parent_code or "",
            province_code=hamlet.province_code,
            hamlet_history=(Period(hamlet.code, fact.registered_on),),
            registered_on=fact.registered_on,
            removed_on=None,
            clan_id=None,
            head_citizen_id=None,
            version=1,
            last_fact_at=at,
        )
    )
    return True


def move_household(world: World, fact: HouseholdMoved, at: datetime) -> bool:
    household = world.household(fact.household_id)
    check_fresh("household", fact.household_id, household.last_fact_at, at)
    if household.removed_on is not None:
        raise Refused("invalid_fact", f"household {fact.household_id} was removed on {household.removed_on}")
    if household.hamlet_code == fact.hamlet_code:
        return False
    if fact.moved_on < household.registered_on:
        raise Refused("invalid_fact", f"moved_on {fact.moved_on} is before the registration ({household.registered_on})")
    hamlet = _open_area(world, fact.hamlet_code, Level.HAMLET)
    world.put_household(
        replace(
            household,
            hamlet_code=hamlet.code,
            commune_code=hamlet.parent_code or "",
            province_code=hamlet.province_code,
            hamlet_history=moved(household.hamlet_history, hamlet.code, fact.moved_on),
            version=household.version + 1,
            last_fact_at=later(household.last_fact_at, at),
        )
    )
    return True


def update_household(world: World, fact: HouseholdUpdated, at: datetime) -> bool:
    household = world.household(fact.household_id)
    check_fresh("household", fact.household_id, household.last_fact_at, at)
    updated = household
    if fact.head_citizen_id is not None:
        citizen = world.citizen(fact.head_citizen_id)
        if citizen.household_id != household.household_id:
            raise Refused("invalid_fact", f"citizen {citizen.citizen_id} is not a member of household {household.household_id}")
        updated = replace(updated, head_citizen_id=citizen.citizen_id)
    if fact.registered_on is not None and fact.registered_on != household.registered_on:
        first, *rest = household.hamlet_history
        if first.valid_to is not None and fact.registered_on > first.valid_to:
            raise Refused("invalid_fact", f"registered_on {fact.registered_on} is after the household's first move")
        updated = replace(updated, registered_on=fact.registered_on,
                          hamlet_history=(replace(first, valid_from=fact.registered_on), *rest))
    if updated == household:
        return False
    world.put_household(replace(updated, version=household.version + 1, last_fact_at=later(household.last_fact_at, at)))
    return True


def remove_household(world: World, fact: HouseholdRemoved, at: datetime) -> bool:
    household = world.household(fact.household_id)
    check_fresh("household", fact.household_id, household.last_fact_at, at)
    if household.removed_on == fact.removed_on:
        return False
    if fact.removed_on < household.registered_on:
        raise Refused("invalid_fact", f"removed_on {fact.removed_on} is before the registration ({household.registered_on})")
    history = moved(household.hamlet_history, household.hamlet_code, household.registered_on)
    closed = (*history[:-1], replace(history[-1], valid_to=fact.removed_on))
    world.put_household(replace(household, removed_on=fact.removed_on, hamlet_history=closed,
                                version=household.version + 1, last_fact_at=later(household.last_fact_at, at)))
    return True


def register_citizen(world: World, fact: CitizenRegistered, at: datetime, national_id_hmac: str | None) -> bool:
    if fact.household_id is not None:
        world.household(fact.household_id)
    existing = world.citizens.get(fact.citizen_id)
    if existing is None:
        world.put_citizen(
            Citizen(fact.citizen_id, fact.birth_year, fact.household_id, (), national_id_hmac, None, 1, at)
        )
        return True
    check_fresh("citizen", fact.citizen_id, existing.last_fact_at, at)
    updated = replace(
        existing,
        birth_year=fact.birth_year,
        household_id=fact.household_id or existing.household_id,
        national_id_hmac=national_id_hmac or existing.national_id_hmac,
    )
    if updated == existing:
        return False
    world.put_citizen(replace(updated, version=existing.version + 1, last_fact_at=later(existing.last_fact_at, at)))
    return True


def add_member(world: World, fact: MemberAdded, at: datetime) -> bool:
    household = world.household(fact.household_id)
    citizen = world.citizen(fact.citizen_id)
    check_fresh("citizen", fact.citizen_id, citizen.last_fact_at, at)
    if household.removed_on is not None:
        raise Refused("invalid_fact", f"household {household.household_id} was removed on {household.removed_on}")
    changed = False
    if citizen.household_id != household.household_id:
        world.put_citizen(replace(citizen, household_id=household.household_id, version=citizen.version + 1,
                                  last_fact_at=later(citizen.last_fact_at, at)))
        changed = True
    if fact.role == "head" and household.head_citizen_id != citizen.citizen_id:
        world.put_household(replace(household, head_citizen_id=citizen.citizen_id, version=household.version + 1))
        changed = True
    return changed


def remove_member(world: World, fact: MemberRemoved, at: datetime) -> bool:
    household = world.household(fact.household_id)
    citizen = world.citizen(fact.citizen_id)
    check_fresh("citizen", fact.citizen_id, citizen.last_fact_at, at)
    if citizen.household_id != household.household_id:
        if citizen.household_id is None:
            return False
        raise Refused("invalid_fact", f"citizen {citizen.citizen_id} is a member of {citizen.household_id}, not {household.household_id}")
    world.put_citizen(replace(citizen, household_id=None, version=citizen.version + 1, last_fact_at=later(citizen.last_fact_at, at)))
    if household.head_citizen_id == citizen.citizen_id:
        world.put_household(replace(household, head_citizen_id=None, version=household.version + 1))
    return True


def register_clan(world: World, fact: ClanRegistered, at: datetime) -> bool:
    commune = _open_area(world, fact.home_commune_code, Level.COMMUNE)
    if fact.home_hamlet_code is not None:
        hamlet = _open_area(world, fact.home_hamlet_code, Level.HAMLET)
        if hamlet.parent_code != commune.code:
            raise Refused("invalid_fact", f"hamlet {hamlet.code} is not in commune {commune.code}")
    existing = world.clans.get(fact.clan_id)
    candidate = Clan(fact.clan_id, fact.name, commune.code, fact.home_hamlet_code,
                     (Period(commune.code, fact.registered_on),), commune.province_code, fact.registered_on, 1, at)
    if existing is None:
        world.put_clan(candidate)
        return True
    check_fresh("clan", fact.clan_id, existing.last_fact_at, at)
    if existing.home_commune_code != commune.code:
        raise Refused("invalid_fact", f"clan {fact.clan_id} is based in {existing.home_commune_code}")
    updated = replace(existing, name=fact.name, home_hamlet_code=fact.home_hamlet_code)
    if updated == existing:
        return False
    world.put_clan(replace(updated, version=existing.version + 1, last_fact_at=later(existing.last_fact_at, at)))
    return True


def join_clan(world: World, fact: ClanJoined, at: datetime) -> bool:
    world.clan(fact.clan_id)
    household = world.household(fact.household_id)
    check_fresh("household", fact.household_id, household.last_fact_at, at)
    if household.clan_id == fact.clan_id:
        return False
    world.put_household(replace(household, clan_id=fact.clan_id, version=household.version + 1,
                                last_fact_at=later(household.last_fact_at, at)))
    return True


def leave_clan(world: World, fact: ClanLeft, at: datetime) -> bool:
    world.clan(fact.clan_id)
    household = world.household(fact.household_id)
    check_fresh("household", fact.household_id, household.last_fact_at, at)
    if household.clan_id is None:
        return False
    if household.clan_id != fact.clan_id:
        raise Refused("invalid_fact", f"household {household.household_id} belongs to clan {household.clan_id}, not {fact.clan_id}")
    world.put_household(replace(household, clan_id=None, version=household.version + 1,
                                last_fact_at=later(household.last_fact_at, at)))
    return True


def register_learning_unit(world: World, fact: UnitRegistered, at: datetime) -> bool:
    commune = _open_area(world, fact.commune_code, Level.COMMUNE)
    existing = world.learning_units.get(fact.unit_id)
    if existing is None:
        world.put_learning_unit(Unit(fact.unit_id, fact.name, fact.kind, commune.code, (Period(commune.code, fact.registered_on),),
                                     commune.province_code, fact.member_count, fact.registered_on, 1, at))
        return True
    check_fresh("unit", fact.unit_id, existing.last_fact_at, at)
    if existing.commune_code != commune.code:
        raise Refused("invalid_fact", f"unit {fact.unit_id} is registered in commune {existing.commune_code}")
    updated = replace(existing, name=fact.name, kind=fact.kind, member_count=fact.member_count)
    if updated == existing:
        return False
    world.put_learning_unit(replace(updated, version=existing.version + 1, last_fact_at=later(existing.last_fact_at, at)))
    return True


def update_learning_unit(world: World, fact: UnitUpdated, at: datetime) -> bool:
    unit = world.learning_unit(fact.unit_id)
    check_fresh("unit", fact.unit_id, unit.last_fact_at, at)
    updated = replace(unit, name=fact.name or unit.name, kind=fact.kind or unit.kind,
                      member_count=fact.member_count or unit.member_count)
    if updated == unit:
        return False
    world.put_learning_unit(replace(updated, version=unit.version + 1, last_fact_at=later(unit.last_fact_at, at)))
    return True


def add_unit_member(world: World, fact: UnitMemberAdded, at: datetime) -> bool:
    world.learning_unit(fact.unit_id)
    citizen = world.citizen(fact.citizen_id)
    check_fresh("citizen", fact.citizen_id, citizen.last_fact_at, at)
    if fact.unit_id in citizen.unit_ids:
        return False
    world.put_citizen(replace(citizen, unit_ids=tuple(sorted((*citizen.unit_ids, fact.unit_id))),
                              version=citizen.version + 1, last_fact_at=later(citizen.last_fact_at, at)))
    return True


def remove_unit_member(world: World, fact: UnitMemberRemoved, at: datetime) -> bool:
    world.learning_unit(fact.unit_id)
    citizen = world.citizen(fact.citizen_id)
    check_fresh("citizen", fact.citizen_id, citizen.last_fact_at, at)
    if fact.unit_id not in citizen.unit_ids:
        return False
    world.put_citizen(replace(citizen, unit_ids=tuple(u for u in citizen.unit_ids if u != fact.unit_id),
                              version=citizen.version + 1, last_fact_at=later(citizen.last_fact_at, at)))
    return True
