"""Fakes and factories for tests: in-memory ports, event builders, an SMTP collector.

The fakes implement the same ports as the SQL adapters (shared.consumer.Inbox / Outbox), so
handler tests exercise real handlers without a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from .consumer import Delivery, Received
from .events.base import EventData
from .events.catalogue import TopicSpec
from .events.envelope import CloudEvent
from .events.inbound import FamilyEvidence
from .outbox import OutboxRecord, Outgoing, encode

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def random_id(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class FakeInbox:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    async def claim(self, identities: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        fresh = {i for i in identities if i not in self.seen}
        self.seen |= fresh
        return fresh


class FakeOutbox:
    def __init__(self) -> None:
        self.records: list[OutboxRecord] = []

    async def add(self, records: Sequence[OutboxRecord]) -> None:
        self.records.extend(records)

    def on(self, topic: str) -> list[OutboxRecord]:
        return [r for r in self.records if r.topic == topic]


class FakeUnitOfWork:
    """Commits by keeping what was staged; a context that exits uncommitted discards it."""

    def __init__(self) -> None:
        self.inbox = FakeInbox()
        self.outbox = FakeOutbox()
        self.commits = 0
        self._snapshot: tuple[set[tuple[str, str]], int] | None = None

    async def __aenter__(self) -> FakeUnitOfWork:
        self._snapshot = (set(self.inbox.seen), len(self.outbox.records))
        self._committed = False
        return self

    async def commit(self) -> None:
        self.commits += 1
        self._committed = True

    async def __aexit__(self, *exc: object) -> None:
        if not self._committed and self._snapshot is not None:
            seen, count = self._snapshot
            self.inbox.seen = seen
            del self.outbox.records[count:]
            self.rollback()

    def rollback(self) -> None:
        """Subclasses restore their own in-memory state."""


class FakeRecord:
    """Quacks like aiokafka's ConsumerRecord."""

    def __init__(self, topic: str, value: bytes | None, key: bytes | None = None, headers: Sequence[tuple[str, bytes]] = (), partition: int = 0, offset: int = 0, timestamp: int | None = None) -> None:
        self.topic, self.value, self.key = topic, value, key
        self.headers = list(headers)
        self.partition, self.offset = partition, offset
        self.timestamp = timestamp


def record_of(topic: TopicSpec, key: str, data: EventData, *, source: str = "/test", now: datetime = NOW, seed: str | None = None, offset: int = 0,
              timestamp: int | None = None, origin_time: datetime | None = None) -> FakeRecord:
    encoded = encode(Outgoing(topic, key, data, id_seed=seed, origin_time=origin_time), source=source, now=now)
    return FakeRecord(topic.name, encoded.value, encoded.key, encoded.headers, offset=offset, timestamp=timestamp)


def received(topic: TopicSpec, key: str, data: EventData, *, source: str = "/test", event_id: str | None = None) -> Received[Any]:
    envelope = CloudEvent(id=event_id or str(uuid.uuid4()), source=source, type=data.TYPE, time=NOW, subject=key)
    delivery = Delivery(topic.name, 0, 0, key.encode(), data.model_dump_json().encode(), tuple(envelope.to_headers()))
    return Received(delivery, envelope, data)


def family_evidence(**changes: Any) -> FamilyEvidence:
    """Evidence that earns every Learning Family point; override fields to lose some."""
    values: dict[str, Any] = {
        "school_age_children": 2,
        "children_in_school": 2,
        "children_exempt": 0,
        "children_results_satisfactory": 2,
        "children_good_conduct": 2,
        "adults": 2,
        "adults_learning": 2,
        "has_books_and_study_corner": True,
        "has_internet_for_learning": True,
        "cultural_family": True,
        "livelihood_improved": True,
        "takes_part_in_community_learning": True,
    }
    values.update(changes)
    return FamilyEvidence(**values)


def parse_email(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


class CollectingSmtpHandler:
    """An aiosmtpd handler that keeps every message (for tests against a real SMTP server)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_with: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(parse_email(envelope.original_content or envelope.content))
        return "250 OK"


def day(text: str) -> date:
    return date.fromisoformat(text)
