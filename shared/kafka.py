"""Kafka plumbing: the FastStream broker, batch subscriptions, the outbox publisher, topic creation."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.message import FAKE_CONSUMER, KafkaAckableMessage
from faststream.middlewares import AckPolicy
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from .consumer import BatchConsumer
from .events.catalogue import TopicSpec
from .outbox import OutboxRecord
from .settings import BaseServiceSettings

log = logging.getLogger(__name__)
PARTITIONER = DefaultPartitioner()  # what AIOKafkaProducer uses unless given another


def security(settings: BaseServiceSettings) -> BaseSecurity | None:
    """FastStream security for the configured protocol (SASL/SCRAM or PLAIN, optionally over TLS)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile) if protocol.endswith("SSL") else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    classes = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return classes[settings.kafka_sasl_mechanism](
        username=settings.kafka_username or "",
        password=settings.kafka_password or "",
        ssl_context=context,
        use_ssl=context is not None,
    )


def create_broker(settings: BaseServiceSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=security(settings),
        client_id=f"hoctap-{settings.service_name}",
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        linger_ms=5,
        max_batch_size=256 * 1024,
        graceful_timeout=30.0,
        logger=logging.getLogger(f"hoctap.{settings.service_name}.broker"),
        log_level=logging.DEBUG,
    )


async def _raw_body(message: Any, _original: Any = None) -> Any:
    """Leave decoding to BatchConsumer, so a malformed record becomes a dead letter, not a crash."""
    return message.body


def _batch_parser(consumer_of: Callable[[], Any]) -> Any:
    """FastStream's message for a batch, without reading the records' headers.

    FastStream's own batch parser decodes every header of every record as UTF-8, before any
    handler runs: a publisher's header that is not UTF-8, or has no value, made it raise, the
    batch was rewound, and the partition stayed blocked behind that record for good. The
    records' headers are read by `BatchConsumer` (the envelope), where such a record becomes a
    dead letter. This also spares a dictionary per record nobody read (2-4 % of a consumer's CPU)."""

    async def parse(records: tuple[Any, ...]) -> KafkaAckableMessage:
        first, last = records[0], records[-1]
        return KafkaAckableMessage(
            raw_message=records,
            body=(),  # decoded and cached by FastStream for the message's life: not the records
            message_id=f"{first.offset}-{last.offset}-{first.timestamp}",
            consumer=consumer_of() or FAKE_CONSUMER,  # what the batch's ack commits on (and nack rewinds)
        )

    return parse


def subscribe(broker: KafkaBroker, settings: BaseServiceSettings, consumers: Sequence[BatchConsumer]) -> Any:
    """One batch subscription for all of a service's topics: one consumer-group member per process,
    so a replica joining or leaving costs one rebalance (a subscriber per topic in one group made
    every start a storm of them). A batch is split by topic, each part handled in record order
    by its topic's consumer; offsets are committed only after every part's transaction.

    Returns the subscriber, whose Kafka `consumer` the runtime reads the consumer lag from."""
    by_topic = {settings.topic(c.topic): c for c in consumers}

    async def on_batch(body: Any, message: KafkaMessage) -> None:
        records = message.raw_message
        parts: dict[str, list[Any]] = {}
        for record in records if isinstance(records, (tuple, list)) else (records,):
            parts.setdefault(record.topic, []).append(record)
        for topic, part in parts.items():
            await by_topic[topic](part)
        # Handled and committed: let go of the records (FastStream acknowledges without them).
        # FastStream keeps the message in a context variable, and every timer scheduled while it
        # was current (the database driver's and the Kafka client's timeouts, cancelled or not)
        # holds a copy of that context until its deadline: under a backlog, some ten past
        # batches stayed alive that way, and the metrics service grew past 800 MB. A batch that
        # fails keeps its records, which FastStream's nack needs to rewind the partitions.
        message.raw_message = ()
        message.body = []
        message.batch_headers = []

    subscriber: Any = None
    subscriber = broker.subscriber(
        *by_topic,
        group_id=settings.consumer_group,
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        heartbeat_interval_ms=settings.kafka_heartbeat_interval_ms,
        fetch_max_bytes=settings.kafka_fetch_max_bytes,
        max_partition_fetch_bytes=settings.kafka_max_partition_fetch_bytes,
        parser=_batch_parser(lambda: getattr(subscriber, "consumer", None)),
        decoder=_raw_body,
        title=f"{settings.service_name}:{','.join(c.topic for c in consumers)}",
        description="; ".join(f"{c.topic}: {c.description}" for c in consumers if c.description),
    )
    subscriber(on_batch)
    return subscriber  # not what registering the handler returns, which has no `consumer`


class BrokerPublisher:
    """Publishes outbox records on the broker's producer.

    On a connected KafkaBroker the records go straight to its aiokafka producer (headers as they
    are, one future per record, awaited together): FastStream's per-message publish path costs
    more than the rest of the relay. Under TestKafkaBroker there is no such producer, and records
    go through `broker.publish`, so in-memory tests see them too."""

    def __init__(self, broker: KafkaBroker, settings: BaseServiceSettings) -> None:
        self.broker = broker
        self.settings = settings

    def _producer(self) -> AIOKafkaProducer | None:
        config = getattr(self.broker, "config", None)
        state = getattr(getattr(config, "producer", None), "_producer", None)
        producer = getattr(state, "producer", None)
        return producer if isinstance(producer, AIOKafkaProducer) else None

    async def publish_many(self, records: Sequence[OutboxRecord]) -> None:
        producer = self._producer()
        if producer is not None:
            await publish_batches(producer, [(self.settings.topic(r.topic), r) for r in records])
            return
        pending = []
        for record in records:
            headers = {name: value.decode("utf-8", "backslashreplace") for name, value in record.headers}
            result = await self.broker.publish(
                record.value,
                self.settings.topic(record.topic),
                key=record.key,
                headers=headers,
                correlation_id=headers.get("ce_correlationid") or headers.get("ce_id"),
                no_confirm=True,
            )
            if isinstance(result, asyncio.Future):
                pending.append(result)
        if pending:
            await asyncio.gather(*pending)


async def publish_batches(producer: AIOKafkaProducer, records: Sequence[tuple[str, OutboxRecord]]) -> None:
    """Send `records` (topic, record) as one record batch per partition, and wait until all are
    acknowledged.

    The partition is the one `producer.send` picks for the key (the default partitioner: the Java
    client's murmur2), so a key keeps its partition whichever path published it; each partition's
    records keep their order. `send` prepares, partitions and queues every record apart, with a
    future each: at the registry's pace that was a tenth of its time.
    A batch holds up to the producer's `max_batch_size` (an empty batch takes any one record).
    """
    partitions: dict[str, list[int]] = {}
    builders: dict[tuple[str, int], Any] = {}
    futures = []
    for topic, record in records:
        known = partitions.get(topic)
        if known is None:
            known = partitions[topic] = sorted(await producer.partitions_for(topic))
        partition = PARTITIONER(record.key, known, known)
        builder = builders.get((topic, partition))
        if builder is None:
            builder = builders[(topic, partition)] = producer.create_batch()
        headers = list(record.headers)
        if builder.append(key=record.key, value=record.value, timestamp=None, headers=headers) is None:
            futures.append(await producer.send_batch(builder, topic, partition=partition))
            builder = builders[(topic, partition)] = producer.create_batch()
            builder.append(key=record.key, value=record.value, timestamp=None, headers=headers)
    for (topic, partition), builder in builders.items():
        futures.append(await producer.send_batch(builder, topic, partition=partition))
    if futures:
        await asyncio.gather(*futures)


async def ensure_topics(
    bootstrap_servers: str, topics: Iterable[TopicSpec], prefix: str = "", replication_factor: int = 1
) -> list[str]:
    """Create the catalogue's topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="hoctap-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [t for t in topics if prefix + t.name not in existing]
        if not wanted:
            return []
        new_topics = [
            NewTopic(
                prefix + t.name,
                num_partitions=t.partitions,
                replication_factor=replication_factor,
                topic_configs={"retention.ms": str(t.retention_ms)},
            )
            for t in wanted
        ]
        try:
            await admin.create_topics(new_topics)
        except TopicAlreadyExistsError:
            pass
        return [t.name for t in new_topics]
    finally:
        await admin.close()
