"""The raw baseline of `make bench`: what one Python process does with the same inbound facts
when it only consumes (aiokafka), validates (pydantic, the contract's own models) and upserts in
batches into PostgreSQL (asyncpg, `INSERT … SELECT FROM unnest … ON CONFLICT DO UPDATE`).
No outbox, no idempotence, no domain: the ceiling the services are compared with."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from shared.events.catalogue import REGISTRY_INBOUND

UPSERT = """
insert into baseline.fact (entity_key, event_type, data)
select * from unnest($1::text[], $2::text[], $3::jsonb[])
on conflict (entity_key, event_type) do update set data = excluded.data
"""


async def _run(bootstrap: str, database_url: str, expected: int) -> dict[str, Any]:
    import asyncpg
    from aiokafka import AIOKafkaConsumer

    types = REGISTRY_INBOUND.types_by_name()
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    await connection.execute("create schema if not exists baseline; drop table if exists baseline.fact;"
                             " create table baseline.fact (entity_key text, event_type text, data jsonb,"
                             " primary key (entity_key, event_type))")
    consumer = AIOKafkaConsumer(REGISTRY_INBOUND.name, bootstrap_servers=bootstrap, group_id="hoctap-bench-baseline",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    done, invalid = 0, 0
    started = time.perf_counter()
    try:
        while done < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            rows: dict[tuple[str, str], str] = {}
            for records in batches.values():
                for record in records:
                    headers = dict(record.headers)
                    event_type = (headers.get("ce_type") or b"").decode()
                    cls = types.get(event_type)
                    done += 1
                    if cls is None:
                        invalid += 1
                        continue
                    data = cls.model_validate_json(record.value)
                    rows[(_identity(data), event_type)] = data.model_dump_json()
            if rows:
                keys, kinds, values = zip(*((k, t, v) for (k, t), v in rows.items()), strict=True)
                await connection.execute(UPSERT, list(keys), list(kinds), list(values))
                await consumer.commit()
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
        await connection.close()
    return {"events_per_s": done / elapsed, "seconds": elapsed, "events": done, "invalid": invalid}


def _identity(data: Any) -> str:
    """The entity a fact is about (a citizen, not the household it travels with), and its year."""
    for name in ("citizen_id", "household_id", "clan_id", "unit_id", "entity_id", "code"):
        value = getattr(data, name, None)
        if isinstance(value, str):
            year = getattr(data, "year", None)
            return f"{value}/{year}" if year is not None else value
    return type(data).__name__


def run_baseline(bootstrap: str, database_url: str, expected: int) -> dict[str, Any]:
    return asyncio.run(_run(bootstrap, database_url, expected))
