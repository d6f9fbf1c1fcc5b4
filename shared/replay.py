"""Replaying dead letters: `python -m services.<name> replay-dead-letters`.

Once the cause of a dead letter is fixed (a bug in a release, a reference that finally arrived,
a publisher's scope corrected), an operator sends the original records back to the topics they
came from. The consumer recorded each dead-lettered event id as processed (that is what makes
dead-lettering itself exactly-once), so the replay first forgets those ids, in one transaction,
and only then publishes: a record republished before its id is forgotten would be skipped as a
duplicate. A replayed record that fails again is dead-lettered again, with its new reason.

The record goes back as it was dead-lettered: the `hoctap_dlq_*` headers are dropped; a value the
registry redacted (a national ID) stays redacted, so such a fact must be re-sent by its publisher.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .consumer import DLQ_HEADER_PREFIX
from .events.catalogue import DEAD_LETTERS
from .events.envelope import parse_time
from .settings import BaseServiceSettings


@dataclass(frozen=True)
class DeadLetterRecord:
    """One record of a dead-letter topic, as read back."""

    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str | None:
        raw = next((value for key, value in self.headers if key == name), None)
        return raw.decode("utf-8", "replace") if raw is not None else None

    @property
    def reason_code(self) -> str:
        return self.header(DLQ_HEADER_PREFIX + "reason_code") or ""

    @property
    def original_topic(self) -> str | None:
        return self.header(DLQ_HEADER_PREFIX + "topic")

    @property
    def dead_lettered_at(self) -> datetime | None:
        text = self.header(DLQ_HEADER_PREFIX + "at")
        try:
            return parse_time(text) if text else None
        except ValueError:
            return None

    @property
    def identity(self) -> tuple[str, str]:
        """The (source, id) the consumer claimed for it: the envelope's, or, for a record whose
        envelope could not be read, the fallback the consumer derived from where it was."""
        source, event_id = self.header("ce_source"), self.header("ce_id")
        if source and event_id:
            return (source, event_id)
        digest = hashlib.sha256(self.value or b"").hexdigest()[:16]
        where = "/".join(self.header(DLQ_HEADER_PREFIX + n) or "" for n in ("topic", "partition", "offset"))
        return ("kafka", f"{where}/{digest}")

    def original_headers(self) -> list[tuple[str, bytes]]:
        return [(name, value) for name, value in self.headers if not name.startswith(DLQ_HEADER_PREFIX)]


@dataclass(frozen=True)
class Selection:
    reason_codes: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()
    since: datetime | None = None

    def __call__(self, record: DeadLetterRecord) -> bool:
        if record.original_topic is None:
            return False
        if self.reason_codes and record.reason_code not in self.reason_codes:
            return False
        if self.event_ids and record.identity[1] not in self.event_ids:
            return False
        at = record.dead_lettered_at
        return not (self.since and (at is None or at < self.since))


def latest_per_identity(records: Sequence[DeadLetterRecord]) -> list[DeadLetterRecord]:
    """A record dead-lettered again after an earlier replay appears twice: replay it once."""
    latest: dict[tuple[str, str], DeadLetterRecord] = {}
    for record in records:
        latest[record.identity] = record
    return sorted(latest.values(), key=lambda r: r.offset)


async def read_dead_letters(settings: BaseServiceSettings, service: str) -> list[DeadLetterRecord]:
    """Every record on the service's dead-letter topic, up to its end when the reading started."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from .kafka import security

    topic = settings.topic(DEAD_LETTERS[service].name)
    options = _client_options(settings, security)
    consumer = AIOKafkaConsumer(enable_auto_commit=False, auto_offset_reset="earliest", **options)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or {0})]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[DeadLetterRecord] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for tp, batch in (await consumer.getmany(timeout_ms=1000)).items():
                records.extend(DeadLetterRecord(r.offset, r.key, r.value, tuple(r.headers or ()))
                               for r in batch if r.offset < ends[tp])
        return records
    finally:
        await consumer.stop()


async def forget(connection: Any, identities: Sequence[tuple[str, str]]) -> int:
    """Drop the processed marks of these events (on the caller's transaction)."""
    if not identities:
        return 0
    result = await connection.execute(
        sa.text("delete from processed_event where (source, event_id) in "
                "(select * from unnest(cast(:sources as text[]), cast(:ids as text[])))"),
        {"sources": [s for s, _ in identities], "ids": [i for _, i in identities]},
    )
    return int(result.rowcount or 0)


async def replay(
    settings: BaseServiceSettings,
    service: str,
    selection: Selection,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] = print,
) -> Counter[str]:
    """Replay the selected dead letters; returns how many per reason code."""
    from aiokafka import AIOKafkaProducer

    from .db import create_engine
    from .kafka import security

    chosen = latest_per_identity([r for r in await read_dead_letters(settings, service) if selection(r)])
    counts = Counter(r.reason_code for r in chosen)
    progress(f"{len(chosen)} dead letters selected" + (f" ({', '.join(f'{c}: {n}' for c, n in sorted(counts.items()))})" if counts else ""))
    if dry_run or not chosen:
        return counts
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            forgotten = await forget(connection, [r.identity for r in chosen])
        progress(f"forgot {forgotten} processed marks")
    finally:
        await engine.dispose()
    producer = AIOKafkaProducer(acks="all", enable_idempotence=settings.kafka_idempotent_producer,
                                **_client_options(settings, security))
    await producer.start()
    try:
        for number, record in enumerate(chosen, 1):
            await producer.send(str(record.original_topic), record.value, key=record.key, headers=record.original_headers())
            if number % 1000 == 0 or number == len(chosen):
                progress(f"replayed {number}/{len(chosen)}")
        await producer.flush()
    finally:
        await producer.stop()
    return counts


def _client_options(settings: BaseServiceSettings, security: Callable[[BaseServiceSettings], Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers}
    chosen = security(settings)
    if chosen is not None:
        from faststream.security import BaseSecurity

        assert isinstance(chosen, BaseSecurity)
        options["security_protocol"] = settings.kafka_security_protocol
        if chosen.ssl_context is not None:
            options["ssl_context"] = chosen.ssl_context
        if settings.kafka_security_protocol.startswith("SASL"):
            options |= {"sasl_mechanism": settings.kafka_sasl_mechanism,
                        "sasl_plain_username": settings.kafka_username, "sasl_plain_password": settings.kafka_password}
    return options


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason-code", action="append", default=[],
                        help="only dead letters with this reason code (repeatable), e.g. processing_error")
    parser.add_argument("--event-id", action="append", default=[], help="only this event id (repeatable)")
    parser.add_argument("--since", type=parse_time, help="only those dead-lettered at or after this RFC 3339 time")
    parser.add_argument("--dry-run", action="store_true", help="say what would be replayed, replay nothing")


def command(service: str) -> Callable[[BaseServiceSettings, argparse.Namespace], int]:
    def run(settings: BaseServiceSettings, args: argparse.Namespace) -> int:
        selection = Selection(frozenset(args.reason_code), frozenset(args.event_id), args.since)
        asyncio.run(replay(settings, service, selection, dry_run=args.dry_run, progress=lambda line: print(line, flush=True)))
        return 0

    return run
