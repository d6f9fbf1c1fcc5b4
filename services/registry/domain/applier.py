"""One entry point for every inbound fact: authorise it, apply it, say what happened.

Used alike by the Kafka consumer, the HTTP bulk import and the import commands, so a fact means
the same whichever way it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.events import inbound as facts
from shared.events.base import EventData
from shared.events.vocabulary import Title

from . import areas, population, yearly
from .model import Missing, Refused
from .scope import Publisher
from .world import Stale, World

EVIDENCE_TITLES: dict[type[EventData], tuple[Title, str]] = {
    facts.FamilyEvidenceSubmitted: (Title.LEARNING_FAMILY, "household_id"),
    facts.CitizenEvidenceSubmitted: (Title.LEARNING_CITIZEN, "citizen_id"),
    facts.ClanEvidenceSubmitted: (Title.LEARNING_CLAN, "clan_id"),
    facts.CommunityEvidenceSubmitted: (Title.LEARNING_COMMUNITY, "hamlet_code"),
    facts.UnitEvidenceSubmitted: (Title.LEARNING_UNIT, "unit_id"),
}


@dataclass(frozen=True, slots=True)
class Fact:
    data: EventData
    at: datetime
    national_id_hmac: str | None = None


EARLIEST_FACT_TIME = datetime(1900, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)


def fact_time_problem(at: datetime, now: datetime) -> str | None:
    """Why a fact's recorded time cannot be taken, or None.

    Facts are ordered by that time: one from the future would make every later fact about its
    entity stale, and one that cannot be expressed in UTC cannot be stored at all.
    """
    try:
        moment = at.astimezone(UTC)
    except OverflowError:
        return f"the fact's time {at.isoformat()} cannot be expressed in UTC"
    if moment < EARLIEST_FACT_TIME:
        return f"the fact's time {at.isoformat()} is before {EARLIEST_FACT_TIME.year}"
    if moment > now + CLOCK_SKEW:
        return f"the fact's time {at.isoformat()} is in the future (more than a day after the registry's clock)"
    return None


def text_problem(data: EventData) -> str | None:
    """Why a fact's text cannot be kept, or None: PostgreSQL text and JSON refuse the NUL character.
    (JSON writes NUL as \\u0000, so one search of the serialised fact finds any; the field is
    looked for only then.)"""
    if "\\u0000" not in data.model_dump_json():
        return None
    for name, value in data.model_dump().items():
        if any("\x00" in text for text in _texts(value)):
            return f"{name} contains a NUL character"
    return None


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _texts(item)]
    return []


def problem_before_applying(fact: Fact, now: datetime) -> str | None:
    """A fact the registry refuses (`invalid_fact`) before looking at what it refers to."""
    return fact_time_problem(fact.at, now) or text_problem(fact.data)


@dataclass(frozen=True, slots=True)
class Result:
    status: str  # applied, unchanged, stale, rejected, waiting
    code: str | None = None
    reason: str | None = None
    waiting_for: str | None = None


def apply_fact(world: World, fact: Fact, publisher: Publisher | None, *, enforce: bool, today: date) -> Result:
    try:
        if enforce:
            _authorise(world, fact.data, publisher)
        changed = _dispatch(world, fact, today)
        if not changed:
            kind, key = subject(fact.data)
            world.stamp(kind, key, fact.at)
    except Missing as missing:
        return Result("waiting", missing.code, missing.reason, f"{missing.what} {missing.key}")
    except Stale as stale:
        return Result("stale", stale.code, stale.reason)
    except Refused as refusal:
        return Result("rejected", refusal.code, refusal.reason)
    return Result("applied" if changed else "unchanged")


def _authorise(world: World, data: EventData, publisher: Publisher | None) -> None:
    if publisher is None:
        raise Refused("not_authorised", "the publisher is not registered with the registry")
    for code in areas_touched(world, data):
        chain = world.ancestors(code)
        if not publisher.covers(chain):
            if code not in world.units and code != getattr(data, "code", None):
                # An area not registered yet (its registration may be on another partition): the
                # fact waits for it, and is judged when it is known, rather than refused now.
                raise Missing("administrative unit", code)
            raise Refused("not_authorised", f"publisher {publisher.name} may not publish for area {code}")


def areas_touched(world: World, data: EventData) -> list[str]:
    """The areas a fact acts in (each must be covered by the publisher's scope)."""
    if isinstance(data, facts.AdministrativeUnitRegistered):
        return [data.parent_code or data.code]
    if isinstance(data, (facts.AdministrativeUnitRenamed, facts.AdministrativeUnitClosed)):
        return [data.code]
    if isinstance(data, facts.AdministrativeUnitReparented):
        return [data.code, data.parent_code]
    if isinstance(data, facts.AdministrativeUnitsMerged):
        return [*data.source_codes, data.target.parent_code or data.target.code]
    if isinstance(data, facts.HouseholdRegistered):
        return [data.hamlet_code]
    if isinstance(data, facts.HouseholdMoved):
        return [world.household(data.household_id).hamlet_code, data.hamlet_code]
    if isinstance(data, (facts.HouseholdUpdated, facts.HouseholdRemoved, facts.MemberAdded, facts.MemberRemoved,
                         facts.ClanJoined, facts.ClanLeft)):
        return [world.household(data.household_id).hamlet_code]
    if isinstance(data, facts.CitizenRegistered):
        return [world.household(data.household_id).hamlet_code] if data.household_id else []
    if isinstance(data, facts.ClanRegistered):
        return [data.home_commune_code]
    if isinstance(data, facts.UnitRegistered):
        return [data.commune_code]
    if isinstance(data, (facts.UnitUpdated, facts.UnitMemberAdded, facts.UnitMemberRemoved)):
        return [world.learning_unit(data.unit_id).commune_code]
    if isinstance(data, facts.TitleRegistrationSubmitted):
        return entity_area(world, data.title, data.entity_id)
    title, field = EVIDENCE_TITLES[type(data)]
    return entity_area(world, title, getattr(data, field))


def entity_area(world: World, title: Title, entity_id: str) -> list[str]:
    if title == Title.LEARNING_FAMILY:
        return [world.household(entity_id).hamlet_code]
    if title == Title.LEARNING_CLAN:
        return [world.clan(entity_id).home_commune_code]
    if title == Title.LEARNING_UNIT:
        return [world.learning_unit(entity_id).commune_code]
    if title == Title.LEARNING_COMMUNITY:
        return [entity_id]
    citizen = world.citizen(entity_id)
    return [world.household(citizen.household_id).hamlet_code] if citizen.household_id else []


def subject(data: EventData) -> tuple[str, Any]:
    """The entity whose freshness a fact is judged by (the one it checks with check_fresh)."""
    if isinstance(data, facts.AdministrativeUnitsMerged):
        return "unit", data.target.code
    if isinstance(data, (facts.AdministrativeUnitRegistered, facts.AdministrativeUnitRenamed,
                         facts.AdministrativeUnitReparented, facts.AdministrativeUnitClosed)):
        return "unit", data.code
    if isinstance(data, (facts.CitizenRegistered, facts.MemberAdded, facts.MemberRemoved,
                         facts.UnitMemberAdded, facts.UnitMemberRemoved)):
        return "citizen", data.citizen_id
    if isinstance(data, facts.ClanRegistered):
        return "clan", data.clan_id
    if isinstance(data, (facts.UnitRegistered, facts.UnitUpdated)):
        return "learning_unit", data.unit_id
    if isinstance(data, facts.TitleRegistrationSubmitted):
        return "registration", (data.title, data.entity_id, data.year)
    if type(data) in EVIDENCE_TITLES:
        title, field = EVIDENCE_TITLES[type(data)]
        return "evidence", (title, getattr(data, field), data.year)  # type: ignore[attr-defined]
    return "household", data.household_id  # type: ignore[attr-defined]


Applier = Callable[[World, Any, datetime], bool]

_APPLY: dict[type[EventData], Applier] = {
    facts.AdministrativeUnitRegistered: areas.register_unit,
    facts.AdministrativeUnitRenamed: areas.rename_unit,
    facts.AdministrativeUnitReparented: areas.reparent_unit,
    facts.AdministrativeUnitsMerged: areas.merge_units,
    facts.AdministrativeUnitClosed: areas.close_unit,
    facts.HouseholdRegistered: population.register_household,
    facts.HouseholdMoved: population.move_household,
    facts.HouseholdUpdated: population.update_household,
    facts.HouseholdRemoved: population.remove_household,
    facts.MemberAdded: population.add_member,
    facts.MemberRemoved: population.remove_member,
    facts.ClanRegistered: population.register_clan,
    facts.ClanJoined: population.join_clan,
    facts.ClanLeft: population.leave_clan,
    facts.UnitRegistered: population.register_learning_unit,
    facts.UnitUpdated: population.update_learning_unit,
    facts.UnitMemberAdded: population.add_unit_member,
    facts.UnitMemberRemoved: population.remove_unit_member,
}


def _dispatch(world: World, fact: Fact, today: date) -> bool:
    data = fact.data
    if isinstance(data, facts.CitizenRegistered):
        return population.register_citizen(world, data, fact.at, fact.national_id_hmac)
    if isinstance(data, facts.TitleRegistrationSubmitted):
        return yearly.submit_registration(world, data.title, data.entity_id, data.year, data.registered, fact.at, today)
    if type(data) in EVIDENCE_TITLES:
        title, field = EVIDENCE_TITLES[type(data)]
        evidence = data.evidence.model_dump(mode="json")  # type: ignore[attr-defined]
        return yearly.submit_evidence(world, title, getattr(data, field), data.year, evidence, fact.at, today)  # type: ignore[attr-defined]
    return _APPLY[type(data)](world, data, fact.at)
