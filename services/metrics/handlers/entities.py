"""Households, citizens, clans and units: where they count, and their title registrations.

A citizen counts at its household's hamlet, so a household that moves moves its citizens too.
Household and citizen handlers lock the households concerned (exclusive to change a household,
shared to read one for its citizens), so a citizen is never placed by a household's old places.
"""

from __future__ import annotations

from typing import Any

from shared.consumer import Outcome, Received
from shared.events.registry import TitleRegistrationChanged
from shared.events.vocabulary import Title

from ..domain.placement import citizen_spans, homed_spans, household_spans
from ..ports import FactKey, MetricsStore
from .pipelines import apply_registrations, lock_years, place_entities
from .records import citizen_record, homed_record, household_record, newest, records, reject
from .refresh import Changes

Registrations = dict[FactKey, tuple[bool, int]]


def split_registrations(
    batch: list[Received[Any]], title: Title, outcome: Outcome
) -> tuple[Registrations, list[Received[Any]]]:
    """Registrations for the topic's own title (others are refused), and the remaining snapshots."""
    registrations: Registrations = {}
    snapshots: list[Received[Any]] = []
    for item in batch:
        data = item.data
        if not isinstance(data, TitleRegistrationChanged):
            snapshots.append(item)
            continue
        if data.title != title:
            reject(
                outcome,
                item,
                f"a {data.title.value} registration cannot travel on the {title.value} entity's topic",
            )
            continue
        key = (data.entity_id, data.year)
        if key not in registrations or registrations[key][1] < data.version:
            registrations[key] = (data.registered, data.version)
    return registrations, snapshots


def _years(registrations: Registrations) -> set[int]:
    return {year for _, year in registrations}


async def handle_households(
    store: MetricsStore,
    snapshots: list[Received[Any]],
    registrations: Registrations,
    changes: Changes,
    outcome: Outcome,
) -> None:
    households = records(
        newest(snapshots, lambda d: d.household_id, lambda d: d.version), household_record, outcome
    )
    if households:
        await store.lock_household_buckets([h.household_id for h in households], exclusive=True)
    fresh = await store.save_households(households) if households else []
    wanted = {Title.LEARNING_FAMILY: _years(registrations)} | (
        {Title.LEARNING_CITIZEN: set()} if fresh else {}
    )
    await lock_years(store, wanted, changes)
    if registrations:
        await apply_registrations(store, Title.LEARNING_FAMILY, registrations, changes)
    if not fresh:
        return
    places = {h.household_id: household_spans(h) for h in fresh}
    await place_entities(store, Title.LEARNING_FAMILY, places, changes)
    citizens = await store.citizens_of(places)
    await place_entities(
        store,
        Title.LEARNING_CITIZEN,
        {c.citizen_id: citizen_spans(c, places.get(c.household_id or "", ())) for c in citizens},
        changes,
    )


async def handle_citizens(
    store: MetricsStore,
    snapshots: list[Received[Any]],
    registrations: Registrations,
    changes: Changes,
    outcome: Outcome,
) -> None:
    citizens = records(
        newest(snapshots, lambda d: d.citizen_id, lambda d: d.version), citizen_record, outcome
    )
    if citizens:
        before = await store.citizens([c.citizen_id for c in citizens])
        households = {c.household_id for c in citizens} | {c.household_id for c in before.values()}
        await store.lock_household_buckets(sorted(h for h in households if h), exclusive=False)
    fresh = await store.save_citizens(citizens) if citizens else []
    await lock_years(store, {Title.LEARNING_CITIZEN: _years(registrations)}, changes)
    if registrations:
        await apply_registrations(store, Title.LEARNING_CITIZEN, registrations, changes)
    if not fresh:
        return
    homes = await store.places(
        Title.LEARNING_FAMILY, {c.household_id for c in fresh if c.household_id}
    )
    places = {c.citizen_id: citizen_spans(c, homes.get(c.household_id or "", ())) for c in fresh}
    await place_entities(store, Title.LEARNING_CITIZEN, places, changes)


async def handle_homed(
    store: MetricsStore,
    title: Title,
    snapshots: list[Received[Any]],
    registrations: Registrations,
    changes: Changes,
    outcome: Outcome,
) -> None:
    """Clans and learning units: each counts at its commune."""
    homed = records(
        newest(snapshots, lambda d: getattr(d, "clan_id", None) or d.unit_id, lambda d: d.version),
        homed_record,
        outcome,
    )
    fresh = await store.save_homed(title, homed) if homed else []
    await lock_years(store, {title: _years(registrations)}, changes)
    if registrations:
        await apply_registrations(store, title, registrations, changes)
    if fresh:
        await place_entities(store, title, {e.entity_id: homed_spans(e) for e in fresh}, changes)
