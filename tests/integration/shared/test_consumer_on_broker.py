"""A real service consuming from a real broker: dead letters, an unblocked partition, redelivery."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from services.registry.app import build_runtime
from services.registry.settings import RegistrySettings
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_INBOUND
from shared.events.inbound import AdministrativeUnitRegistered
from shared.events.registry import AdministrativeUnitChanged
from shared.events.vocabulary import Level
from shared.outbox import Outgoing, encode

from ..kafka_helpers import header, read_topic


def fact(code: str, name: str, seed: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    data = AdministrativeUnitRegistered(code=code, level=Level.PROVINCE, name=name, valid_from="2020-01-01")
    record = encode(Outgoing(REGISTRY_INBOUND, code, data, id_seed=seed), source="/provincial-statistics", now=datetime.now(UTC))
    return record.key, record.value, list(record.headers)  # type: ignore[return-value]


Record = tuple[bytes, bytes, list[tuple[str, bytes | None]]]


async def _through_registry(infrastructure: Any, settings: RegistrySettings, records: list[Record], *, units: int,
                            letters: int) -> tuple[Any, list[Any], list[Any]]:
    """Publish `records` (key, value, headers) in order on partition 0 of the inbound topic, run
    the registry until `units` area events and `letters` dead letters are out; returns the
    runtime and both."""
    runtime = build_runtime(settings)
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.bootstrap)
    await producer.start()
    try:
        for key, value, headers in records:
            await producer.send_and_wait(settings.topic(REGISTRY_INBOUND.name), value, key=key, headers=headers, partition=0)  # type: ignore[arg-type]
        async with runtime.lifespan():
            out = await read_topic(infrastructure.bootstrap, settings.topic(REGISTRY_ADMINISTRATIVE_UNITS.name), expect=units)
            dead = await read_topic(infrastructure.bootstrap, settings.topic(DEAD_LETTERS["registry"].name), expect=letters)
    finally:
        await producer.stop()
    return runtime, out, dead


async def test_poison_then_valid_records_on_one_partition_are_dead_lettered_and_processed(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings, authorisation="off")
    inbound = settings.topic(REGISTRY_INBOUND.name)
    key, value, headers = fact("84", "Tỉnh Trà Vinh", "first")

    def other_id(suffix: bytes) -> list[tuple[str, bytes | None]]:
        return [(k, v + suffix if k == "ce_id" else v) for k, v in headers]

    # Same key, same partition: the poison records come first and must not block the rest.
    runtime, units, letters = await _through_registry(infrastructure, settings, [
        (key, b'{"code": "84", "level": ', other_id(b"-a")),
        (key, value.replace(b'"province"', b'"planet"'), other_id(b"-b")),
        (key, value, headers),  # type: ignore[list-item]
        (key, value, headers),  # type: ignore[list-item]  # delivered twice
    ], units=1, letters=2)

    assert [AdministrativeUnitChanged.model_validate_json(r.value).name for r in units] == ["Tỉnh Trà Vinh"]
    reasons = sorted((header(r, "hoctap_dlq_reason_code"), header(r, "hoctap_dlq_reason")) for r in letters)
    assert [code for code, _ in reasons] == [b"invalid_data", b"malformed_json"]
    assert b"level" in reasons[0][1]  # type: ignore[operator]
    assert all(header(r, "hoctap_dlq_topic") == inbound.encode() for r in letters)
    sample = runtime.registry.get_sample_value
    assert sample("hoctap_registry_events_consumed_total", {"topic": REGISTRY_INBOUND.name, "outcome": "duplicate"}) == 1
    assert sample("hoctap_registry_events_consumed_total", {"topic": REGISTRY_INBOUND.name, "outcome": "dead_lettered"}) == 2
    assert sample("hoctap_registry_events_published_total", {"topic": REGISTRY_ADMINISTRATIVE_UNITS.name}) == 1
    assert sample("hoctap_registry_events_published_total", {"topic": DEAD_LETTERS["registry"].name}) == 2
    assert sample("hoctap_registry_dead_letters_total", {"topic": REGISTRY_INBOUND.name, "reason": "malformed_json"}) == 1
    assert sample("hoctap_registry_batch_processing_seconds_count", {"topic": REGISTRY_INBOUND.name}) >= 1  # type: ignore[operator]


async def test_a_restarted_service_resumes_after_the_committed_offset(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings, authorisation="off")
    inbound = settings.topic(REGISTRY_INBOUND.name)
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.bootstrap)
    await producer.start()
    try:
        key, value, headers = fact("84", "Tỉnh Trà Vinh", "one")
        await producer.send_and_wait(inbound, value, key=key, headers=headers)
        async with build_runtime(settings).lifespan():
            await read_topic(infrastructure.bootstrap, settings.topic(REGISTRY_ADMINISTRATIVE_UNITS.name), expect=1)
        key, value, headers = fact("86", "Tỉnh Vĩnh Long", "two")
        await producer.send_and_wait(inbound, value, key=key, headers=headers)
        async with build_runtime(settings).lifespan():
            units = await read_topic(infrastructure.bootstrap, settings.topic(REGISTRY_ADMINISTRATIVE_UNITS.name), expect=2)
            await asyncio.sleep(1)
    finally:
        await producer.stop()
    assert sorted(AdministrativeUnitChanged.model_validate_json(r.value).code for r in units) == ["84", "86"]


async def test_a_handled_batch_is_not_kept_alive_by_the_timers_scheduled_while_handling_it(infrastructure) -> None:  # type: ignore[no-untyped-def]
    """A client's or driver's timeout is a timer, cancelled when the call returns but kept until
    its deadline, with the context it was scheduled in; FastStream keeps the batch's message in
    that context. Unless the message lets go of its records once the batch is handled, every such
    timer keeps a whole batch alive (under a backlog, the metrics service grew past 800 MB)."""
    import gc
    import weakref

    from services.metrics.settings import MetricsSettings
    from shared.kafka import create_broker, subscribe

    prefix = f"ctx{id(object())}"
    settings = MetricsSettings(kafka_bootstrap_servers=infrastructure.bootstrap, topic_prefix=f"{prefix}-",
                               consumer_group_prefix=prefix, batch_timeout_ms=50,
                               kafka_idempotent_producer=infrastructure.idempotent_producer)
    topic = settings.topic(REGISTRY_INBOUND.name)
    batches: list[list[weakref.ref[Any]]] = []
    handled = asyncio.Condition()

    class Probe:
        topic = REGISTRY_INBOUND.name
        description = ""

        async def __call__(self, records: list[Any]) -> None:
            loop = asyncio.get_running_loop()
            loop.call_later(3600, lambda: None).cancel()  # as asyncpg's command timeout does
            async with handled:
                batches.append([weakref.ref(r) for r in records])
                handled.notify_all()

    broker = create_broker(settings)
    subscribe(broker, settings, [Probe()])
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.bootstrap)
    await producer.start()
    await broker.start()
    try:
        for number in (1, 2, 3):
            await producer.send_and_wait(topic, b"{}", key=b"k")
            async with handled:
                await asyncio.wait_for(handled.wait_for(lambda n=number: len(batches) >= n), 60)  # type: ignore[misc]
        await asyncio.sleep(0.5)
        gc.collect()
        assert [all(ref() is None for ref in batch) for batch in batches] == [True, True, True]
    finally:
        await broker.stop()
        await producer.stop()


async def test_consumer_lag_counts_the_records_waiting_behind_the_batch_in_hand(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    """Operators read a backlog off `hoctap_<service>_consumer_lag`: while a batch is being
    handled, it shows the records still waiting on the broker."""
    from services.registry.adapters.db import OUTBOX
    from shared.consumer import Outcome
    from shared.runtime import ServiceRuntime

    settings = await make_settings(RegistrySettings, batch_max_records=10)
    runtime = ServiceRuntime(settings, OUTBOX)
    release = asyncio.Event()

    async def slow(batch: list[Any], uow: Any, now: datetime) -> Outcome:
        await release.wait()
        return Outcome()

    class NoStore:
        class inbox:  # noqa: N801 - the shape a unit of work has
            @staticmethod
            async def claim(identities: list[tuple[str, str]]) -> set[tuple[str, str]]:
                return set(identities)

        class outbox:  # noqa: N801
            @staticmethod
            async def add(records: list[Any]) -> None: ...

        async def commit(self) -> None: ...

        async def __aenter__(self) -> "NoStore":
            return self

        async def __aexit__(self, *exc: object) -> None: ...

    runtime.consume(REGISTRY_INBOUND, slow, NoStore)
    inbound = settings.topic(REGISTRY_INBOUND.name)
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.bootstrap)
    await producer.start()
    try:
        for n in range(50):
            key, value, headers = fact("84", "Tỉnh Trà Vinh", f"lag-{n}")
            await producer.send_and_wait(inbound, value, key=key, headers=headers, partition=0)
    finally:
        await producer.stop()
    lag = None
    async with runtime.lifespan():
        try:
            for _ in range(300):
                lag = runtime.registry.get_sample_value("hoctap_registry_consumer_lag", {"topic": REGISTRY_INBOUND.name})
                if lag:
                    break
                await asyncio.sleep(0.1)
        finally:
            release.set()
    assert lag == 40  # 50 published, the first 10 in the batch being handled


async def test_headers_that_are_not_text_are_dead_lettered_and_do_not_block_the_partition(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    """Kafka headers are bytes, and may be null. A record whose header is not UTF-8, or has no
    value, reaches the consumer's own envelope check and becomes a dead letter saying which
    header; the facts after it on the same partition apply. (FastStream's parser decoded every
    header first and raised: the batch was rewound, and the partition blocked for good.)"""
    settings = await make_settings(RegistrySettings, "_odd_headers", authorisation="off")
    odd = {
        "odd-utf16": ("ce_note", "Tỉnh".encode("utf-16")),
        "odd-null": ("ce_note", None),
        "odd-type": ("ce_type", b"\xff\xfe"),
    }
    records: list[Record] = []
    for seed, (name, raw) in odd.items():
        key, value, headers = fact("84", "Tỉnh Trà Vinh", seed)
        records.append((key, value, [(k, v) for k, v in headers if k != name] + [(name, raw)]))
    records.append(fact("80", "Tỉnh Long An", "after"))  # type: ignore[arg-type]
    _, units, letters = await _through_registry(infrastructure, settings, records, units=1, letters=3)

    assert [AdministrativeUnitChanged.model_validate_json(r.value).code for r in units] == ["80"]
    assert sorted((header(r, "hoctap_dlq_reason_code"), header(r, "hoctap_dlq_reason")) for r in letters) == [
        (b"malformed_envelope", b"header ce_note has no value"),
        (b"malformed_envelope", b"header ce_note is not valid UTF-8"),
        (b"malformed_envelope", b"header ce_type is not valid UTF-8"),
    ]
