"""Reading what landed on a real topic."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaConsumer


async def read_topic(bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0) -> list[Any]:
    """Every record on `topic` from the start, waiting until at least `expect` arrived."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
            if len(records) >= expect:
                await asyncio.sleep(0.5)  # anything beyond `expect` arriving late shows up too
                for partition_records in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(partition_records)
                break
    finally:
        await consumer.stop()
    return records


def header(record: Any, name: str) -> bytes | None:
    return next((value for key, value in record.headers if key == name), None)
