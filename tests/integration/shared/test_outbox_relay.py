"""The transactional outbox against a real PostgreSQL and broker."""

import asyncio
import time

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from faststream.kafka import KafkaBroker

from services.registry.adapters.db import OUTBOX
from services.registry.settings import RegistrySettings
from shared.db import create_engine
from shared.events.catalogue import REGISTRY_HOUSEHOLDS
from shared.events.registry import HouseholdChanged
from shared.kafka import BrokerPublisher, create_broker, publish_batches
from shared.outbox import OutboxRecord, OutboxRelay, Outgoing, SqlOutbox, encode
from shared.testing import NOW

from ..kafka_helpers import header, read_topic


def snapshot(n: int) -> Outgoing:
    data = HouseholdChanged(household_id=f"hh-{n}", hamlet_code="29398-01", commune_code="29398", province_code="84", registered_on="2020-01-01", version=n)
    return Outgoing(REGISTRY_HOUSEHOLDS, "hh-1", data, id_seed=f"relay-{n}")


async def write(engine, outgoing: list[Outgoing], *, commit: bool = True) -> None:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        await connection.begin()
        await SqlOutbox(connection, OUTBOX, "hoctap_outbox_test").add([encode(o, source="/hoctap/registry", now=NOW) for o in outgoing])
        if commit:
            await connection.commit()
        else:
            await connection.rollback()


def relay_for(settings: RegistrySettings, engine, broker: KafkaBroker) -> OutboxRelay:  # type: ignore[no-untyped-def]
    return OutboxRelay(engine, OUTBOX, BrokerPublisher(broker, settings), schema=settings.database_schema, batch_size=3)


async def test_committed_rows_are_published_in_order_with_their_envelope_then_deleted(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings)
    engine, broker = create_engine(settings), create_broker(settings)
    await broker.connect()
    try:
        await write(engine, [snapshot(n) for n in range(1, 6)])
        await write(engine, [snapshot(99)], commit=False)
        relay = relay_for(settings, engine, broker)
        while await relay.relay_once():
            pass
        assert await relay.backlog() == 0
    finally:
        await broker.stop()
        await engine.dispose()

    records = await read_topic(infrastructure.bootstrap, settings.topic(REGISTRY_HOUSEHOLDS.name), expect=5)
    versions = [HouseholdChanged.model_validate_json(r.value).version for r in records]
    assert versions == [1, 2, 3, 4, 5]
    assert all(r.key == b"hh-1" for r in records)
    assert header(records[0], "ce_type") == HouseholdChanged.TYPE.encode()
    assert header(records[0], "ce_source") == b"/hoctap/registry"
    # The headers on the wire are exactly the outbox row's: nothing added, nothing re-encoded.
    written = encode(snapshot(1), source="/hoctap/registry", now=NOW)
    assert [(name, value) for name, value in records[0].headers] == list(written.headers)


async def test_two_relays_on_one_outbox_publish_each_row_once(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings)
    engine, broker = create_engine(settings), create_broker(settings)
    await broker.connect()
    try:
        await write(engine, [snapshot(n) for n in range(1, 31)])
        first, second = relay_for(settings, engine, broker), relay_for(settings, engine, broker)

        async def drain(relay: OutboxRelay) -> None:
            # Both keep trying until the outbox is empty; whichever holds the lock publishes.
            for _ in range(500):
                if not await relay.backlog():
                    return
                await relay.relay_once()

        await asyncio.gather(drain(first), drain(second))
        assert await first.backlog() == 0
    finally:
        await broker.stop()
        await engine.dispose()

    records = await read_topic(infrastructure.bootstrap, settings.topic(REGISTRY_HOUSEHOLDS.name), expect=30)
    versions = [HouseholdChanged.model_validate_json(r.value).version for r in records]
    assert versions == list(range(1, 31))


class Collected:
    """A publisher that keeps what it got, and notes each call in `log` beside the backlog reports."""

    def __init__(self) -> None:
        self.records: list = []  # type: ignore[type-arg]
        self.log: list = []  # type: ignore[type-arg]

    async def publish_many(self, records) -> None:  # type: ignore[no-untyped-def]
        self.records.extend(records)
        self.log.append("published")

    def report(self, backlog: int) -> None:
        self.log.append(("backlog", backlog))


class CountingRelay(OutboxRelay):
    counts = 0

    async def backlog(self) -> int:
        self.counts += 1
        return await super().backlog()


async def test_the_backlog_gauge_is_counted_now_and_then_and_zeroed_by_a_pass_that_emptied_the_outbox(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings)
    engine = create_engine(settings)
    published, reports = Collected(), []

    def on_backlog(backlog: int) -> None:
        reports.append(backlog)
        published.report(backlog)

    relay = CountingRelay(engine, OUTBOX, published, schema=settings.database_schema, batch_size=3,
                          poll_interval=0.05, on_backlog=on_backlog, backlog_interval=3600)
    stopping = asyncio.Event()
    running = asyncio.create_task(relay.run(stopping))
    try:
        await write(engine, [snapshot(n) for n in range(1, 6)])
        # The pass that published the last rows has reported after them (a 0 from a pass before
        # the rows were written does not count).
        await until(lambda: len(published.records) == 5 and published.log[-1] == ("backlog", 0))
        assert relay.counts == 1, "counted once, on the first pass"
        seen = len(reports)  # 1, or 2 if the first pass ran before the rows were written

        async with engine.connect() as other:  # another replica holds the relay lock
            await other.begin()
            await other.execute(sa.select(sa.func.pg_advisory_xact_lock(relay.lock_key)))
            await write(engine, [snapshot(n) for n in range(6, 8)])
            relay.wake()
            await asyncio.sleep(0.3)
            assert len(published.records) == 5 and reports[-1] == 0 and len(reports) == seen, (
                "a pass that could not relay reports nothing")
            await other.rollback()
        relay.wake()
        await until(lambda: len(published.records) == 7)
        await until(lambda: len(reports) > seen)
        assert reports[-1] == 0 and relay.counts == 1, "emptied by the pass: 0 without a count"
    finally:
        stopping.set()
        relay.wake()
        await running
        await engine.dispose()


async def until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_records_published_in_batches_land_where_send_puts_their_key_in_order_with_headers_and_time(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings)
    topic = settings.topic(REGISTRY_HOUSEHOLDS.name)  # 12 partitions
    # Small batches, so that one partition's records fill several and order must hold across them.
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.bootstrap, max_batch_size=1024,
                                enable_idempotence=infrastructure.idempotent_producer)
    await producer.start()
    try:
        keys = [f"hh-{n}".encode() for n in range(40)]
        sent_to = {key: (await producer.send_and_wait(topic, b"by send", key=key)).partition for key in keys}
        records = [
            (topic, OutboxRecord(topic=REGISTRY_HOUSEHOLDS.name, key=key, value=f"{key.decode()}/{seq}".encode(),
                                 headers=(("ce_id", f"{key.decode()}-{seq}".encode()), ("content-type", b"application/json"))))
            for seq in range(6) for key in keys
        ]
        started_ms = int(time.time() * 1000)
        await publish_batches(producer, records)
    finally:
        await producer.stop()

    landed = await read_topic(infrastructure.bootstrap, topic, expect=len(keys) * 7)
    assert len({sent_to[key] for key in keys}) > 1, "the keys spread over several partitions"
    for key in keys:
        mine = [r for r in landed if r.key == key and r.value != b"by send"]
        assert {r.partition for r in mine} == {sent_to[key]}
        assert [r.value for r in sorted(mine, key=lambda r: r.offset)] == [f"{key.decode()}/{seq}".encode() for seq in range(6)]
        assert list(mine[0].headers) == [("ce_id", f"{key.decode()}-0".encode()), ("content-type", b"application/json")]
        assert all(r.timestamp >= started_ms - 1000 for r in mine), "each record is stamped when sent"
