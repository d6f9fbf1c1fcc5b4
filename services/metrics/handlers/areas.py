"""Administrative units: the map, the reform crosswalk, and hamlets as Learning Community candidates.

When a unit changes, its cells re-read their parent and name; when its current unit changes (a
merger names a successor), its contribution moves to the successor in the current hierarchy, and
the units under it re-read their current parent.
"""

from __future__ import annotations

from typing import Any

from shared.consumer import Outcome, Received
from shared.events.vocabulary import Level, Title

from ..domain.hierarchy import AreaRecord, follow_successors
from ..domain.placement import hamlet_spans
from ..ports import MetricsStore
from .book import load_areas
from .entities import Registrations
from .pipelines import apply_registrations, lock_years, place_entities
from .records import area_record, newest, records
from .refresh import Changes

MAX_CHAIN = 10


async def handle_areas(
    store: MetricsStore,
    snapshots: list[Received[Any]],
    registrations: Registrations,
    changes: Changes,
    outcome: Outcome,
) -> None:
    areas = records(newest(snapshots, lambda d: d.code, lambda d: d.version), area_record, outcome)
    if areas:
        await store.lock_areas()
    fresh = await store.save_areas(areas) if areas else []
    await lock_years(
        store, {Title.LEARNING_COMMUNITY: {year for _, year in registrations}}, changes
    )
    if registrations:
        await apply_registrations(store, Title.LEARNING_COMMUNITY, registrations, changes)
    if not fresh:
        return
    hamlets = [a for a in fresh if a.level == Level.HAMLET]
    await place_entities(
        store, Title.LEARNING_COMMUNITY, {h.code: hamlet_spans(h) for h in hamlets}, changes
    )
    moved = await update_crosswalk(store, fresh)
    changes.moved.update(moved)
    changes.restructure |= {a.code for a in fresh} | await store.areas_under(set(moved))


async def update_crosswalk(store: MetricsStore, fresh: list[AreaRecord]) -> dict[str, str]:
    """Recompute today's unit for the changed areas and every area whose chain runs through them.

    Returns {area code: its previous current code} for the areas whose current code changed.
    """
    affected = {a.code for a in fresh}
    frontier = set(affected)
    for _ in range(MAX_CHAIN):
        pointing = await store.areas_pointing_to(frontier) - affected
        if not pointing:
            break
        affected |= pointing
        frontier = pointing
    known: dict[str, AreaRecord] = {}
    await load_areas(store, affected, known, set())
    current = {code: follow_successors(code, known) for code in affected if code in known}
    return await store.set_current_codes(current)
