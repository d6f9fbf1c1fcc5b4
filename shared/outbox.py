"""The transactional outbox: what a service emits is written in the same transaction as its state
change, and a relay publishes committed rows to Kafka, then deletes them.

A crash after publishing and before deleting publishes a row twice; consumers deduplicate on the
CloudEvents id, so the effect stays exactly-once. One relay per service publishes at a time (a
PostgreSQL advisory lock), which keeps per-key order across replicas.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
import weakref
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .db import any_of
from .events.base import EventData
from .events.catalogue import TopicSpec
from .events.envelope import CloudEvent, format_time

log = logging.getLogger(__name__)

NAMESPACE = uuid.UUID("6f1d3c52-8b7e-4c1e-9a51-3b9f8f0f6a10")


class OutboxRecord(NamedTuple):
    """One Kafka record waiting to be published (topic is the catalogue name, without prefix).

    A NamedTuple, as the consumer's records are: immutable, and built in half a frozen
    dataclass's time, twice for every record a service emits (written, then relayed)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> bytes | None:
        return next((value for key, value in self.headers if key == name), None)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event a handler wants published; the plumbing wraps it in a CloudEvent."""

    topic: TopicSpec
    key: str
    data: EventData
    id_seed: str | None = None  # makes the event id deterministic (uuid5 of the seed)
    correlation_id: str | None = None
    origin_time: datetime | None = None  # when the inbound fact behind it entered hoctap
    # `data` already serialised (its model_dump_json), when the handler wrote the same JSON
    # elsewhere in the transaction: the record carries those bytes instead of a second pass.
    value: bytes | None = None


def stable_event_id(seed: str) -> str:
    """uuid5(NAMESPACE, seed), computed directly (uuid.uuid5 builds two UUID objects per id and
    showed in the relay's profile); a test keeps the two equal."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + seed.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_NAMESPACE_BYTES = NAMESPACE.bytes


def encode(outgoing: Outgoing, *, source: str, now: datetime, origin_time: datetime | None = None) -> OutboxRecord:
    """Wrap an event in its CloudEvents envelope (binary mode) as a record for the outbox.

    `origin_time` (unless the event carries its own) becomes the `origintime` extension: when the
    inbound fact behind this event entered hoctap, so every hop can measure its end-to-end age."""
    data = outgoing.data
    if type(data) not in outgoing.topic.event_types:
        raise TypeError(f"{type(data).__name__} is not an event type of topic {outgoing.topic.name}")
    event_id = stable_event_id(outgoing.id_seed) if outgoing.id_seed else str(uuid.uuid4())
    extensions = {"correlationid": outgoing.correlation_id} if outgoing.correlation_id else {}
    origin = outgoing.origin_time or origin_time
    if origin is not None:
        extensions["origintime"] = format_time(origin)
    envelope = CloudEvent(
        id=event_id,
        source=source,
        type=data.TYPE,
        time=now,
        subject=outgoing.key,
        dataschema=data.dataschema(),
        extensions=extensions,
    )
    return OutboxRecord(
        topic=outgoing.topic.name,
        key=outgoing.key.encode(),
        value=outgoing.value if outgoing.value is not None else data.model_dump_json().encode(),
        headers=tuple(envelope.to_headers()),
    )


class Publisher(Protocol):
    async def publish_many(self, records: Sequence[OutboxRecord]) -> None:
        """Publish every record and return once the broker has acknowledged all of them."""


class SqlOutbox:
    """Writes outbox rows on the caller's connection, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection, table: sa.Table, channel: str) -> None:
        self.connection = connection
        self.table = table
        self.channel = channel

    async def add(self, records: Sequence[OutboxRecord]) -> None:
        if not records:
            return
        rows = [(r.topic, r.key, r.value, *_header_columns(r.headers)) for r in records]
        await copy_rows(self.connection, self.table.name, ("topic", "key", "value", "header_names", "header_values"), rows)
        await self.connection.execute(sa.text(f"notify {self.channel}"))


def _header_columns(headers: tuple[tuple[str, bytes], ...]) -> tuple[tuple[str, ...], tuple[bytes, ...]]:
    """The header names and the header values, as the outbox's two array columns."""
    return tuple(zip(*headers, strict=True)) or ((), ())  # type: ignore[return-value]


async def copy_rows(connection: AsyncConnection, table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
    """Append rows with PostgreSQL COPY on the transaction's own connection (an order of
    magnitude faster than INSERT for the outbox and logs, which are append-only)."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    schema = _SCHEMAS.get(driver)
    if schema is None or not driver.is_in_transaction():
        # Going through SQLAlchemy first also opens its (lazily begun) transaction, so the COPY
        # commits or rolls back with the rest of the unit of work.
        schema = _SCHEMAS[driver] = await connection.scalar(sa.text("select current_schema()"))
    await driver.copy_records_to_table(table, records=list(rows), columns=list(columns), schema_name=schema)


_SCHEMAS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def notify_channel(schema: str) -> str:
    return f"hoctap_outbox_{schema}"


class OutboxRelay:
    """Publishes committed outbox rows in id order and deletes them once the broker has them."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: sa.Table,
        publisher: Publisher,
        *,
        schema: str,
        batch_size: int = 1000,
        poll_interval: float = 0.5,
        on_published=None,  # type: ignore[no-untyped-def]
        on_backlog=None,  # type: ignore[no-untyped-def]
        backlog_interval: float = 5.0,
    ) -> None:
        """`on_backlog` receives the outbox's row count: counted at most every `backlog_interval`
        seconds, and 0 after a pass that emptied what it saw (a count after every pass, one per
        consumed batch, was a query and a connection check-out per batch for a gauge)."""
        self.engine = engine
        self.table = table
        self.publisher = publisher
        self.schema = schema
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.lock_key = zlib.crc32(f"hoctap-outbox-{schema}".encode())
        self._wakeup = asyncio.Event()
        self._on_published = on_published
        self._on_backlog = on_backlog
        self.backlog_interval = backlog_interval
        self._counted_at = float("-inf")
        self._drained = False  # the last pass held the lock and published every row it saw

    def wake(self) -> None:
        self._wakeup.set()

    async def relay_once(self) -> int:
        """Publish up to one batch; returns how many rows went out (0 if another relay holds the lock)."""
        async with self.engine.begin() as connection:
            self._drained = False
            locked = await connection.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(self.lock_key)))
            if not locked:
                return 0
            c = self.table.c
            rows = (
                await connection.execute(
                    sa.select(c.id, c.topic, c.key, c.value, c.header_names, c.header_values)
                    .order_by(c.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not rows:
                self._drained = True
                return 0
            records = [
                OutboxRecord(topic, key, value, tuple(zip(names, values, strict=True)))
                for _, topic, key, value, names, values in rows
            ]
            await self.publisher.publish_many(records)
            await connection.execute(  # one array parameter: an IN list is a new statement per size
                self.table.delete().where(any_of(c.id, [row[0] for row in rows], sa.BigInteger))
            )
        self._drained = len(rows) < self.batch_size
        if self._on_published:
            self._on_published(records)
        return len(rows)

    async def backlog(self) -> int:
        async with self.engine.connect() as connection:
            return int(await connection.scalar(sa.select(sa.func.count()).select_from(self.table)) or 0)

    async def run(self, stopping: asyncio.Event) -> None:
        """Relay until `stopping` is set; wakes on NOTIFY from writers, else polls."""
        listener = await self._listen()
        failures = 0
        try:
            while not stopping.is_set():
                try:
                    sent = await self.relay_once()
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("outbox relay failed; retrying", extra={"attempt": failures})
                    await self._report_backlog()  # keeps the backlog gauge true during an outage
                    await _sleep_or_stop(stopping, min(30.0, 0.5 * 2**failures))
                    continue
                if sent >= self.batch_size:
                    continue
                if time.monotonic() - self._counted_at >= self.backlog_interval:
                    await self._report_backlog()
                elif self._drained and self._on_backlog:
                    self._on_backlog(0)
                self._wakeup.clear()
                waiters = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stopping.wait())]
                _, pending = await asyncio.wait(waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
                for waiter in pending:
                    waiter.cancel()
        finally:
            if listener is not None:
                await _close_listener(listener)

    async def _report_backlog(self) -> None:
        if self._on_backlog:
            self._counted_at = time.monotonic()
            try:
                self._on_backlog(await self.backlog())
            except Exception:
                log.debug("could not measure outbox backlog", exc_info=True)

    async def _listen(self):  # type: ignore[no-untyped-def]
        """A dedicated connection that LISTENs for writers' NOTIFY (None if unavailable)."""
        try:
            connection = await self.engine.raw_connection()
            driver = connection.driver_connection
            await driver.add_listener(notify_channel(self.schema), lambda *_: self._wakeup.set())
            return connection
        except Exception:
            log.warning("outbox relay falls back to polling (LISTEN failed)", exc_info=True)
            return None


async def _close_listener(connection) -> None:  # type: ignore[no-untyped-def]
    try:
        connection.invalidate()
    except Exception:
        log.debug("closing listener connection failed", exc_info=True)


async def _sleep_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
    except TimeoutError:
        pass
