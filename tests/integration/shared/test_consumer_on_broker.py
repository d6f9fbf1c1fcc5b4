"""A real service consuming from a real broker: dead letters, an unblocked partition, redelivery."""

import asyncio
from datetime import UTC, datetime

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


async def test_poison_then_valid_records_on_one_partition_are_dead_lettered_and_processed(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings, authorisation="off")
    runtime = build_runtime(settings)
    inbound = settings.topic(REGISTRY_INBOUND.name)
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.bootstrap)
    await producer.start()
    key, value, headers = fact("84", "Tỉnh Trà Vinh", "first")
    def other_id(suffix: bytes) -> list[tuple[str, bytes]]:
        return [(k, v + suffix if k == "ce_id" else v) for k, v in headers]

    try:
        # Same key, same partition: the poison records come first and must not block the rest.
        await producer.send_and_wait(inbound, b'{"code": "84", "level": ', key=key, headers=other_id(b"-a"), partition=0)
        await producer.send_and_wait(inbound, value.replace(b'"province"', b'"planet"'), key=key, headers=other_id(b"-b"), partition=0)
        await producer.send_and_wait(inbound, value, key=key, headers=headers, partition=0)
        await producer.send_and_wait(inbound, value, key=key, headers=headers, partition=0)  # delivered twice
        async with runtime.lifespan():
            units = await read_topic(infrastructure.bootstrap, settings.topic(REGISTRY_ADMINISTRATIVE_UNITS.name), expect=1)
            letters = await read_topic(infrastructure.bootstrap, settings.topic(DEAD_LETTERS["registry"].name), expect=2)
    finally:
        await producer.stop()

    assert [AdministrativeUnitChanged.model_validate_json(r.value).name for r in units] == ["Tỉnh Trà Vinh"]
    reasons = sorted((header(r, "hoctap_dlq_reason_code"), header(r, "hoctap_dlq_reason")) for r in letters)
    assert [code for code, _ in reasons] == [b"invalid_data", b"malformed_json"]
    assert b"level" in reasons[0][1]  # type: ignore[operator]
    assert all(header(r, "hoctap_dlq_topic") == inbound.encode() for r in letters)
    consumed = runtime.registry.get_sample_value(
        "hoctap_registry_events_consumed_total", {"topic": REGISTRY_INBOUND.name, "outcome": "duplicate"}
    )
    assert consumed == 1


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
