"""The transactional outbox against a real PostgreSQL and broker."""

import asyncio

from faststream.kafka import KafkaBroker

from services.registry.adapters.db import OUTBOX
from services.registry.settings import RegistrySettings
from shared.db import create_engine
from shared.events.catalogue import REGISTRY_HOUSEHOLDS
from shared.events.registry import HouseholdChanged
from shared.kafka import BrokerPublisher, create_broker
from shared.outbox import OutboxRelay, Outgoing, SqlOutbox, encode
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
