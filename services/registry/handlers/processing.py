"""Apply a batch of facts against the registry: load what they refer to, apply them, save what
changed, and say what happened to each.

A fact whose reference is missing is retried later in the same batch (the household may come a
few records later); what still waits at the end is handed back to be parked. A waiting fact does
not hold back the others: when it finally applies, it is judged against the newest fact time the
entity has seen, so it can never overwrite a later change (it is stale instead).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.consumer import Delivery
from shared.events import inbound as facts
from shared.events.envelope import CloudEvent
from shared.events.vocabulary import Title
from shared.outbox import Outgoing

from ..adapters.db import SqlRegistryStore
from ..domain.applier import EVIDENCE_TITLES, Fact, Result, apply_fact
from ..domain.scope import Publisher
from ..domain.world import World
from .snapshots import snapshot


@dataclass(frozen=True)
class Submission:
    """One fact as it arrived, with who sent it and where from."""

    fact: Fact
    key: str
    source: str
    event_id: str
    actor: str
    publisher: Publisher | None
    delivery: Delivery | None = None
    envelope: CloudEvent | None = None


@dataclass
class Processed:
    results: list[Result]
    events: list[Outgoing] = field(default_factory=list)


@dataclass
class _Refs:
    units: set[str] = field(default_factory=set)
    households: set[str] = field(default_factory=set)
    citizens: set[str] = field(default_factory=set)
    clans: set[str] = field(default_factory=set)
    learning_units: set[str] = field(default_factory=set)
    years: set[tuple[Title, str, int]] = field(default_factory=set)
    children_of: set[str] = field(default_factory=set)

    def entity(self, title: Title, entity_id: str) -> None:
        {
            Title.LEARNING_FAMILY: self.households,
            Title.LEARNING_CITIZEN: self.citizens,
            Title.LEARNING_CLAN: self.clans,
            Title.LEARNING_UNIT: self.learning_units,
            Title.LEARNING_COMMUNITY: self.units,
        }[title].add(entity_id)


def _collect(refs: _Refs, data: Any) -> None:
    if isinstance(data, facts.AdministrativeUnitRegistered):
        refs.units.update(c for c in (data.code, data.parent_code) if c)
    elif isinstance(data, facts.AdministrativeUnitRenamed):
        refs.units.add(data.code)
    elif isinstance(data, facts.AdministrativeUnitReparented):
        refs.units.update((data.code, data.parent_code))
    elif isinstance(data, facts.AdministrativeUnitsMerged):
        refs.units.update((*data.source_codes, data.target.code))
        refs.units.update(c for c in (data.target.parent_code,) if c)
        refs.children_of.update(data.source_codes)
    elif isinstance(data, facts.AdministrativeUnitClosed):
        refs.units.update(c for c in (data.code, data.successor_code) if c)
        refs.children_of.add(data.code)
    elif isinstance(data, (facts.HouseholdRegistered, facts.HouseholdMoved)):
        refs.households.add(data.household_id)
        refs.units.add(data.hamlet_code)
    elif isinstance(data, facts.HouseholdUpdated):
        refs.households.add(data.household_id)
        refs.citizens.update(c for c in (data.head_citizen_id,) if c)
    elif isinstance(data, facts.HouseholdRemoved):
        refs.households.add(data.household_id)
    elif isinstance(data, facts.CitizenRegistered):
        refs.citizens.add(data.citizen_id)
        refs.households.update(h for h in (data.household_id,) if h)
    elif isinstance(data, (facts.MemberAdded, facts.MemberRemoved)):
        refs.households.add(data.household_id)
        refs.citizens.add(data.citizen_id)
    elif isinstance(data, facts.ClanRegistered):
        refs.clans.add(data.clan_id)
        refs.units.update(c for c in (data.home_commune_code, data.home_hamlet_code) if c)
    elif isinstance(data, (facts.ClanJoined, facts.ClanLeft)):
        refs.clans.add(data.clan_id)
        refs.households.add(data.household_id)
    elif isinstance(data, facts.UnitRegistered):
        refs.learning_units.add(data.unit_id)
        refs.units.add(data.commune_code)
    elif isinstance(data, facts.UnitUpdated):
        refs.learning_units.add(data.unit_id)
    elif isinstance(data, (facts.UnitMemberAdded, facts.UnitMemberRemoved)):
        refs.learning_units.add(data.unit_id)
        refs.citizens.add(data.citizen_id)
    elif isinstance(data, facts.TitleRegistrationSubmitted):
        refs.years.add((data.title, data.entity_id, data.year))
        refs.entity(data.title, data.entity_id)
    elif type(data) in EVIDENCE_TITLES:
        title, name = EVIDENCE_TITLES[type(data)]
        refs.years.add((title, getattr(data, name), data.year))
        refs.entity(title, getattr(data, name))


async def load_world(store: SqlRegistryStore, datas: list[Any]) -> World:
    refs = _Refs()
    for data in datas:
        _collect(refs, data)
    world = World()
    await store.load(world, "citizen", refs.citizens)
    refs.households.update(c.household_id for c in world.citizens.values() if c.household_id)
    await store.load(world, "household", refs.households)
    await store.load(world, "clan", refs.clans)
    await store.load(world, "learning_unit", refs.learning_units)
    await store.load(world, "registration", refs.years)
    await store.load(world, "evidence", refs.years)
    codes = set(refs.units)
    codes.update(h.hamlet_code for h in world.households.values())
    codes.update(c.home_commune_code for c in world.clans.values())
    codes.update(u.commune_code for u in world.learning_units.values())
    await store.load_with_ancestors(world, codes)
    await store.load_children(world, refs.children_of)
    return world


async def process(
    store: SqlRegistryStore,
    submissions: list[Submission],
    *,
    enforce: bool,
    today: date,
    seed_prefix: str = "registry",
    audit_waiting: bool = True,
) -> Processed:
    """`audit_waiting=False` for parked facts retried: their arrival was audited when they parked,
    and a retry that still waits is not news (a pass every second would write one row each)."""
    world = await load_world(store, [s.fact.data for s in submissions])
    results: list[Result | None] = [None] * len(submissions)
    pending = list(range(len(submissions)))
    progress = True
    while pending and progress:
        progress = False
        still: list[int] = []
        for index in pending:
            result = apply_fact(world, submissions[index].fact, submissions[index].publisher, enforce=enforce, today=today)
            results[index] = result
            if result.status == "waiting":
                still.append(index)
            else:
                progress = True
        pending = still

    changed: dict[str, list[Any]] = defaultdict(list)
    for kind, key in world.changed:
        entity = getattr(world, _FIELD[kind])[key]
        changed[kind].append(entity)
    touched: dict[str, list[Any]] = defaultdict(list)
    for kind, key in world.touched:
        if (kind, key) not in world.changed:
            touched[kind].append(getattr(world, _FIELD[kind])[key])
    for kind in set(changed) | set(touched):
        await store.save(kind, changed.get(kind, []) + touched.get(kind, []))
    await store.add_jobs([("subtree", c) for c in world.refresh_subtrees] + [("successor", c) for c in world.successors])
    events = [snapshot(kind, entity, seed_prefix=seed_prefix) for kind, entities in changed.items() for entity in entities]
    await store.audit([
        audit_entry(s, r) for s, r in zip(submissions, results, strict=True)  # type: ignore[arg-type]
        if audit_waiting or r.status != "waiting"  # type: ignore[union-attr]
    ])
    return Processed([r for r in results if r is not None], events)


_FIELD = {
    "unit": "units",
    "household": "households",
    "citizen": "citizens",
    "clan": "clans",
    "learning_unit": "learning_units",
    "registration": "registrations",
    "evidence": "evidence",
}


def audit_entry(submission: Submission, result: Result) -> dict[str, Any]:
    detail = result.reason if result.status != "waiting" else f"waiting for {result.waiting_for}"
    return {
        "fact_time": submission.fact.at,
        "actor": submission.actor,
        "source": submission.source,
        "event_id": submission.event_id,
        "event_type": submission.fact.data.TYPE,
        "entity_key": submission.key,
        "outcome": result.status,
        "detail": detail,
    }


def fact_time(envelope: CloudEvent | None, fallback: datetime) -> datetime:
    return envelope.time if envelope is not None else fallback
