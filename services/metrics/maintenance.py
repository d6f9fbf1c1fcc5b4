"""`rebuild` and `reconcile`: recompute everything from the base tables, or only compare.

Both read the same from-scratch recount: places recomputed from the snapshots, leaves recounted
from the places and each fact row's registration and decision, parents added up over the map,
figures derived whole. `reconcile` prints every way the kept cells differ (and the service's
tests assert there are none); `rebuild` writes the recount, publishing each cell that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.events.vocabulary import Level, Title
from shared.outbox import SqlOutbox, encode

from .adapters import recount
from .adapters.db import OUTBOX
from .adapters.store import SqlMetricsStore
from .domain.cells import Cell, revise
from .domain.expected import differences, expected_cells
from .domain.hierarchy import follow_successors
from .domain.placement import Span, every_place
from .domain.rules import MetricsRules
from .handlers.events import indicator_events

Progress = Callable[[str], None]
SOURCE = "/hoctap/metrics"

_UNPLACE = sa.text(
    """
    update fact f set leaf_code = null
    where f.leaf_code is not null and not exists (
        select 1 from place p where p.title = f.title and p.entity_id = f.entity_id
          and p.from_year <= f.year and (p.until_year is null or p.until_year > f.year))
    """
)


async def _recomputed_places(
    connection: AsyncConnection,
) -> dict[tuple[str, str], tuple[Span, ...]]:
    homed = await recount.all_homed(connection)
    areas = await recount.all_areas(connection)
    return every_place(
        await recount.all_households(connection),
        await recount.all_citizens(connection),
        [(title.value, entity) for title, entities in homed.items() for entity in entities],
        [a for a in areas.values() if a.level == Level.HAMLET],
    )


async def _place_differences(
    connection: AsyncConnection,
) -> dict[tuple[str, str], tuple[Span, ...]]:
    """Entities whose stored places differ from their snapshots' (value: the right places)."""
    due = await _recomputed_places(connection)
    kept = {
        (title.value, entity): spans
        for (title, entity), spans in (await recount.all_places(connection)).items()
    }
    return {
        key: due.get(key, ())
        for key in set(due) | set(kept)
        if due.get(key, ()) != kept.get(key, ())
    }


async def _expected(connection: AsyncConnection, rules: MetricsRules, stored: dict) -> dict:  # type: ignore[type-arg]
    leaves = await recount.leaf_tallies_from_places(connection)
    return expected_cells(leaves, await recount.all_areas(connection), rules, stored)


async def reconcile(
    engine: AsyncEngine, rules: MetricsRules, progress: Progress = print
) -> list[str]:
    """Every difference between the kept state and a recount from the base tables, one line each."""
    lines: list[str] = []
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            progress("reconcile [1/3] places from the registry's snapshots ...")
            for (title, entity), spans in sorted((await _place_differences(connection)).items()):
                lines.append(
                    f"place {title} {entity}: kept differs, the snapshots give {list(spans)}"
                )
            progress("reconcile [2/3] fact rows at their entity's place ...")
            for row in await recount.stale_fact_leaves(connection):
                lines.append(
                    f"fact {row.title} {row.entity_id} {row.year}: at {row.leaf_code!r}, places say {row.expected!r}"
                )
            progress("reconcile [3/3] cells against a from-scratch recount ...")
            stored = await recount.all_cells(connection)
            expected = await _expected(connection, rules, stored)
            lines += differences(stored, expected)
            progress(f"reconcile: {len(expected)} cells compared, {len(lines)} differences")
    return lines


@dataclass(frozen=True)
class RebuildResult:
    areas_moved: int
    places_rewritten: int
    cells_changed: list[Cell]


async def rebuild(
    engine: AsyncEngine,
    rules: MetricsRules,
    *,
    namespace: str,
    progress: Progress = print,
    now: datetime | None = None,
) -> RebuildResult:
    """Recompute places, fact leaves and every cell from the base tables, in one transaction."""
    now = now or datetime.now(UTC)
    async with engine.connect() as connection, connection.begin():
        store = SqlMetricsStore(connection, namespace)
        # Every lock the handlers take, in their order: nothing else changes the state meanwhile.
        await store.lock_areas()
        await store.lock_every_household()
        for title in sorted(Title):  # one title at a time, in name order, as the handlers do
            await store.lock_years([title], exclusive=True)
        progress("rebuild [1/4] the crosswalk to today's units ...")
        areas = await recount.all_areas(connection)
        moved = await store.set_current_codes(
            {code: follow_successors(code, areas) for code in areas}
        )
        progress(f"rebuild [2/4] places from the snapshots (today's unit changed for {len(moved)} areas) ...")
        wrong = await _place_differences(connection)
        for title in Title:
            mine = {entity: spans for (t, entity), spans in wrong.items() if t == title.value}
            if mine:
                await store.replace_places(title, mine)
        progress(f"rebuild [3/4] fact rows at their places (places rewritten for {len(wrong)}) ...")
        for title in Title:
            for year in sorted(await store.known_years(title)):
                await store.open_year(title, year)
        await connection.execute(_UNPLACE)
        await store.lock_cells(list(Title))
        progress("rebuild [4/4] cells from a from-scratch recount ...")
        stored = await recount.all_cells(connection)
        expected = await _expected(connection, rules, stored)
        changed = [
            cell
            for key, want in expected.items()
            if (cell := revise(stored.get(key), want)) is not None
        ]
        await store.save_cells(changed)
        records = [encode(event, source=SOURCE, now=now) for event in indicator_events(changed)]
        await SqlOutbox(connection, OUTBOX, namespace).add(records)
        progress(f"rebuild: {len(expected)} cells recounted, {len(changed)} changed and published")
    return RebuildResult(len(moved), len(wrong), changed)
