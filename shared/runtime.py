"""What every service process runs besides its own logic: the engine, the broker, consumers,
the outbox relay, background loops, readiness, and an orderly shutdown.

A service's composition root (`services/<name>/app.py`) creates one ServiceRuntime, registers its
consumers and loops on it, and hands `runtime.lifespan` to its HTTP app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from .consumer import BatchConsumer, Handler
from .db import create_engine, ping
from .events.base import EventData
from .events.catalogue import DEAD_LETTERS, TopicSpec
from .kafka import BrokerPublisher, create_broker, subscribe
from .observability import ServiceMetrics
from .outbox import OutboxRelay, Publisher, notify_channel
from .settings import BaseServiceSettings

log = logging.getLogger(__name__)

Loop = Callable[[asyncio.Event], Awaitable[None]]


class ServiceRuntime:
    def __init__(
        self,
        settings: BaseServiceSettings,
        outbox_table: sa.Table,
        *,
        engine: AsyncEngine | None = None,
        broker: KafkaBroker | None = None,
        registry: CollectorRegistry | None = None,
        publisher: Publisher | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.service = settings.service_name
        self.engine = engine or create_engine(settings)
        self.broker = broker or create_broker(settings)
        self.registry = registry or CollectorRegistry()
        self.metrics = ServiceMetrics(self.service, self.registry)
        self.clock = clock
        self.outbox_table = outbox_table
        self.channel = notify_channel(settings.database_schema)
        self.relay = OutboxRelay(
            self.engine,
            outbox_table,
            publisher or BrokerPublisher(self.broker, settings),
            schema=settings.database_schema,
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_interval_seconds,
            on_published=self._count_published,
            on_backlog=self.metrics.outbox_backlog.set,
        )
        self.consumers: list[BatchConsumer] = []
        self.subscriber: Any = None
        self.loops: list[Loop] = [self.relay.run, self._measure_lag]
        self.published_topics: list[str] = [DEAD_LETTERS[self.service].name]
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.started = False

    def consume(
        self,
        topic: TopicSpec,
        handler: Handler,
        unit_of_work: Callable[[], Any],
        *,
        accepted: Mapping[str, type[EventData]] | None = None,
        on_committed: Callable[[], None] | None = None,
        **consumer_options: Any,
    ) -> BatchConsumer:
        """Subscribe `handler` to a catalogue topic; types of the topic not accepted are skipped."""
        accepted_types = dict(accepted) if accepted is not None else topic.types_by_name()
        consumer = BatchConsumer(
            service=self.service,
            topic=topic.name,
            accepted=accepted_types,
            ignored=frozenset(topic.types_by_name()) - set(accepted_types),
            handler=handler,
            unit_of_work=unit_of_work,
            metrics=self.metrics,
            clock=self.clock,
            on_committed=lambda: (self.relay.wake(), on_committed() if on_committed else None),
            description=topic.description,
            **consumer_options,
        )
        if self.subscriber is not None:
            raise RuntimeError(f"consume({topic.name}) after subscribe(): register every topic first")
        self.consumers.append(consumer)
        return consumer

    def subscribe(self) -> None:
        """Subscribe the consumers registered so far, as one group member (idempotent)."""
        if self.subscriber is None and self.consumers:
            self.subscriber = subscribe(self.broker, self.settings, self.consumers)

    def publishes(self, *topics: TopicSpec) -> None:
        self.published_topics.extend(t.name for t in topics)

    def add_loop(self, loop: Loop) -> None:
        self.loops.append(loop)

    def _count_published(self, records: list[Any]) -> None:
        for topic, count in Counter(record.topic for record in records).items():
            self.metrics.published.labels(topic).inc(count)

    async def readiness(self) -> dict[str, bool]:
        database = await ping(self.engine)
        broker = False
        if self.started:
            with contextlib.suppress(Exception):
                broker = bool(await self.broker.ping(timeout=2.0))
        return {"database": database, "broker": broker}

    async def _measure_lag(self, stopping: asyncio.Event) -> None:
        names = {self.settings.topic(c.topic): c.topic for c in self.consumers}
        while not stopping.is_set():
            consumer = getattr(self.subscriber, "consumer", None)
            if consumer is not None:
                try:
                    lags = dict.fromkeys(names.values(), 0)
                    for partition in consumer.assignment():
                        highwater = consumer.highwater(partition)
                        position = await consumer.position(partition)
                        if highwater is not None and partition.topic in names:
                            lags[names[partition.topic]] += max(0, highwater - position)
                    for name, lag in lags.items():
                        self.metrics.consumer_lag.labels(name).set(lag)
                except Exception:
                    log.debug("could not measure consumer lag", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=5.0)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any = None) -> AsyncIterator[None]:
        self.subscribe()
        self.metrics.declare_topics([c.topic for c in self.consumers], self.published_topics)
        await self.broker.start()
        self.started = True
        self._stopping.clear()
        self._tasks = [asyncio.create_task(self._guard(loop)) for loop in self.loops]
        log.info("service started", extra={"consumes": [c.topic for c in self.consumers]})
        try:
            yield
        finally:
            log.info("service stopping: draining in-flight batches")
            # Subscribers first (each finishes its running batch), then the loops, then one last
            # relay pass so what the final batches wrote leaves now, and the producer last.
            await asyncio.gather(*(s.stop() for s in self.broker.subscribers), return_exceptions=True)
            self._stopping.set()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                while await self.relay.relay_once() >= self.relay.batch_size:
                    pass
            await self.broker.stop()
            await self.engine.dispose()
            self.started = False
            log.info("service stopped")

    async def _guard(self, loop: Loop) -> None:
        while not self._stopping.is_set():
            try:
                await loop(self._stopping)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background loop crashed; restarting in 1 s", extra={"loop": repr(loop)})
                await asyncio.sleep(1.0)
