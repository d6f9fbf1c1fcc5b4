"""Resync: re-emit the current state of every entity, or of one area, so a downstream service can
rebuild its projections. Snapshots keep their versions (consumers keep the highest, so a resync
changes nothing where they are current) but get fresh event ids (so they are not deduplicated)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shared.outbox import encode

from ..adapters.db import CITIZENS, CLANS, EVIDENCE, HOUSEHOLDS, LEARNING_UNITS, MAPPINGS, REGISTRATIONS, UNITS
from .snapshots import snapshot

KINDS = ("unit", "household", "citizen", "clan", "learning_unit", "registration", "evidence")


def _area_filter(kind: str, codes: list[str]) -> Any:
    if kind == "unit":
        return UNITS.c.code.in_(codes)
    if kind == "household":
        return HOUSEHOLDS.c.hamlet_code.in_(codes) | HOUSEHOLDS.c.commune_code.in_(codes)
    if kind == "citizen":
        return CITIZENS.c.household_id.in_(sa.select(HOUSEHOLDS.c.household_id).where(HOUSEHOLDS.c.hamlet_code.in_(codes)))
    if kind == "clan":
        return CLANS.c.home_commune_code.in_(codes)
    if kind == "learning_unit":
        return LEARNING_UNITS.c.commune_code.in_(codes)
    table = REGISTRATIONS if kind == "registration" else EVIDENCE
    entities = sa.union(
        sa.select(HOUSEHOLDS.c.household_id).where(HOUSEHOLDS.c.hamlet_code.in_(codes)),
        sa.select(CLANS.c.clan_id).where(CLANS.c.home_commune_code.in_(codes)),
        sa.select(LEARNING_UNITS.c.unit_id).where(LEARNING_UNITS.c.commune_code.in_(codes)),
        sa.select(UNITS.c.code).where(UNITS.c.code.in_(codes)),
        sa.select(CITIZENS.c.citizen_id).where(
            CITIZENS.c.household_id.in_(sa.select(HOUSEHOLDS.c.household_id).where(HOUSEHOLDS.c.hamlet_code.in_(codes)))
        ),
    )
    return table.c.entity_id.in_(entities)


async def subtree(connection: Any, code: str) -> list[str]:
    """`code` and every unit below it now."""
    tree = sa.select(UNITS.c.code).where(UNITS.c.code == code).cte("tree", recursive=True)
    tree = tree.union_all(sa.select(UNITS.c.code).where(UNITS.c.parent_code == tree.c.code))
    return [r.code for r in await connection.execute(sa.select(tree.c.code))]


async def resync(
    unit_of_work: Callable[[], Any],
    *,
    clock: Callable[[], datetime],
    area: str | None = None,
    kinds: tuple[str, ...] = KINDS,
    chunk: int = 2000,
    progress: Callable[[str, int], None] = lambda kind, done: None,
) -> dict[str, int]:
    """Write every snapshot (of `area`, if given) to the outbox in chunks; returns counts per kind."""
    run = uuid.uuid4().hex[:12]
    counts: dict[str, int] = {}
    codes: list[str] | None = None
    if area is not None:
        async with unit_of_work() as uow:
            codes = await subtree(uow.store.connection, area)
    for kind in kinds:
        mapping = MAPPINGS[kind]
        order = [mapping.table.c[k] for k in mapping.keys]
        last: tuple[Any, ...] | None = None
        counts[kind] = 0
        while True:
            query = sa.select(mapping.table).order_by(*order).limit(chunk)
            if codes is not None:
                query = query.where(_area_filter(kind, codes))
            if last is not None:
                query = query.where(sa.tuple_(*order) > sa.tuple_(*last))
            async with unit_of_work() as uow:
                rows = list(await uow.store.connection.execute(query))
                if not rows:
                    break
                now = clock()
                await uow.outbox.add(
                    [encode(snapshot(kind, mapping.from_row(r), seed_prefix=f"registry/resync/{run}"), source="/hoctap/registry", now=now) for r in rows]
                )
                await uow.commit()
            last = tuple(getattr(rows[-1], k) for k in mapping.keys)
            counts[kind] += len(rows)
            progress(kind, counts[kind])
    return counts
