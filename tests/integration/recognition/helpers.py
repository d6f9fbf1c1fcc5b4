"""Feeding registry events to recognition's real consumers on a real PostgreSQL, and reading back."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry

from services.recognition.adapters.db import DECISIONS, OUTBOX, RecognitionSqlUnitOfWork
from services.recognition.app import IDEMPOTENT_HANDLER
from services.recognition.domain.rule_book import RuleBook
from services.recognition.handlers import RecognitionHandler
from services.recognition.handlers.intake import ACCEPTED
from services.recognition.settings import RecognitionSettings
from shared.consumer import BatchConsumer
from shared.db import create_engine
from shared.events.base import EventData
from shared.events.catalogue import RECOGNITION_DECISIONS, REGISTRY_ENTITY_TOPICS
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title
from shared.observability import ServiceMetrics
from shared.outbox import notify_channel
from shared.testing import FakeRecord, record_of
from tests.unit.recognition.factories import routed


def records(events: list[EventData]) -> list[FakeRecord]:
    """Each event as a Kafka record with a stable CloudEvents id (so a redelivery is the same event)."""
    found = []
    for index, event in enumerate(events):
        topic, key = routed(event)
        found.append(record_of(topic, key, event, seed=f"{index}/{event.model_dump_json()}"))
    return found


class Replica:
    """One recognition process: its own connection pool and one BatchConsumer per topic."""

    def __init__(self, settings: RecognitionSettings, book: RuleBook) -> None:
        self.engine = create_engine(settings)
        metrics = ServiceMetrics("recognition", CollectorRegistry())
        channel = notify_channel(settings.database_schema)

        def unit_of_work() -> RecognitionSqlUnitOfWork:
            return RecognitionSqlUnitOfWork(
                self.engine, OUTBOX, channel, lock_namespace=settings.database_schema
            )

        handler = RecognitionHandler(book)
        self.consumers = {
            topic.name: BatchConsumer(
                service="recognition",
                topic=topic.name,
                unit_of_work=unit_of_work,
                metrics=metrics,
                handler=handler,
                accepted=topic.accepting(*(t for t in ACCEPTED if t in topic.event_types)),
                max_backoff_seconds=0.2,
                idempotent=IDEMPOTENT_HANDLER,  # as the service wires them
            )
            for topic in REGISTRY_ENTITY_TOPICS
        }

    async def deliver(self, topic: str, batch: list[FakeRecord]) -> None:
        """Like Kafka after a failed batch: deliver it again until it commits."""
        for _ in range(20):
            try:
                await self.consumers[topic](batch)
                return
            except Exception:
                await asyncio.sleep(0.05)
        raise AssertionError(f"a batch on {topic} never committed")


async def feed(
    settings: RecognitionSettings,
    book: RuleBook,
    batches: list[list[FakeRecord]],
    replicas: int = 2,
) -> None:
    """Every batch's records go to the replica owning their key, all topics and replicas at once."""
    group = [Replica(settings, book) for _ in range(replicas)]
    try:
        for batch in batches:
            work = []
            for index, replica in enumerate(group):
                mine = [r for r in batch if zlib.crc32(r.key) % replicas == index]
                for topic in replica.consumers:
                    on_topic = [r for r in mine if r.topic == topic]
                    if on_topic:
                        work.append(replica.deliver(topic, on_topic))
            await asyncio.gather(*work)
    finally:
        for replica in group:
            await replica.engine.dispose()


async def current_decisions(
    settings: RecognitionSettings, book: RuleBook
) -> dict[tuple[Title, str, int], dict[str, Any]]:
    """The stored decision of each entity-year in the series the book has in force (revision left out)."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.select(DECISIONS))).all()
    finally:
        await engine.dispose()
    found = {}
    for row in rows:
        title = Title(row.title)
        if book.series_for(title, row.year) == (row.rule_set_id, row.rule_version):
            found[(title, row.entity_id, row.year)] = TitleDecided.model_validate(
                row.body
            ).model_dump(mode="json", exclude={"revision"})
    return found


async def outbox_decisions(settings: RecognitionSettings) -> list[TitleDecided]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.select(OUTBOX.c.value)
                .where(OUTBOX.c.topic == RECOGNITION_DECISIONS.name)
                .order_by(OUTBOX.c.id)
            )
            return [TitleDecided.model_validate_json(r.value) for r in rows]
    finally:
        await engine.dispose()
