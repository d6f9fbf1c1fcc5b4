"""Feed records through the metrics service's real consumers (no broker) and check the outcome.

The consumers are the ones `build_runtime` wires, so decoding, deduplication, dead letters and
the outbox run exactly as in the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from services.metrics.adapters import recount
from services.metrics.app import build_runtime
from services.metrics.domain.cells import Cell, CellKey
from services.metrics.maintenance import rebuild, reconcile
from services.metrics.settings import MetricsSettings
from shared.db import create_engine
from shared.outbox import notify_channel


async def feed(settings: MetricsSettings, records: Sequence[Any], batch_size: int) -> None:
    runtime = build_runtime(settings)
    consumers = {consumer.topic: consumer for consumer in runtime.consumers}
    try:
        for start in range(0, len(records), batch_size):
            chunk = records[start : start + batch_size]
            for topic, consumer in consumers.items():
                mine = [r for r in chunk if r.topic == topic]
                if mine:
                    await consumer(mine)
    finally:
        await runtime.engine.dispose()


async def cells(settings: MetricsSettings) -> dict[CellKey, Cell]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await recount.all_cells(connection)
    finally:
        await engine.dispose()


async def outbox_rows(settings: MetricsSettings) -> list[Any]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return list(await connection.execute(sa.text("select * from outbox order by id")))
    finally:
        await engine.dispose()


async def assert_reconciled(settings: MetricsSettings) -> None:
    """reconcile finds nothing, rebuild changes nothing, and reconcile still finds nothing."""
    engine = create_engine(settings)
    rules = settings.rules()
    try:
        assert await reconcile(engine, rules, progress=lambda _: None) == [], (
            "cells drifted from a recount"
        )
        result = await rebuild(
            engine,
            rules,
            namespace=notify_channel(settings.database_schema),
            progress=lambda _: None,
        )
        assert (
            result.cells_changed == [] and result.places_rewritten == 0 and result.areas_moved == 0
        )
        assert await reconcile(engine, rules, progress=lambda _: None) == []
    finally:
        await engine.dispose()
