"""Replaying dead letters on the real broker and PostgreSQL: once the cause is fixed, the
replayed fact is processed (its processed mark was forgotten first) and dead-lettered no more."""

from services.registry.app import build_runtime
from services.registry.settings import RegistrySettings
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_INBOUND
from shared.events.registry import AdministrativeUnitChanged
from shared.replay import Selection, replay

from ..kafka_helpers import header, read_topic
from .test_consumer_on_broker import fact


async def test_a_fact_refused_until_its_publisher_was_allowed_is_applied_when_replayed(make_settings, infrastructure) -> None:  # type: ignore[no-untyped-def]
    from aiokafka import AIOKafkaProducer

    strict = await make_settings(RegistrySettings)  # no publishers file: every source is refused
    allowed = await make_settings(RegistrySettings, authorisation="off")  # the same schema, the cause fixed
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.bootstrap)
    await producer.start()
    try:
        key, value, headers = fact("84", "Tỉnh Trà Vinh", "replay-me")
        await producer.send_and_wait(strict.topic(REGISTRY_INBOUND.name), value, key=key, headers=headers)
    finally:
        await producer.stop()
    dead_letters = strict.topic(DEAD_LETTERS["registry"].name)
    async with build_runtime(strict).lifespan():
        [letter] = await read_topic(infrastructure.bootstrap, dead_letters, expect=1)
    assert header(letter, "hoctap_dlq_reason_code") == b"rejected"

    lines: list[str] = []
    dry = await replay(allowed, "registry", Selection(frozenset({"rejected"})), dry_run=True, progress=lines.append)
    assert dry == {"rejected": 1} and lines == ["1 dead letters selected (rejected: 1)"]
    assert await replay(allowed, "registry", Selection(frozenset({"processing_error"})), progress=lines.append) == {}
    assert await replay(allowed, "registry", Selection(frozenset({"rejected"})), progress=lines.append) == {"rejected": 1}

    async with build_runtime(allowed).lifespan():
        units = await read_topic(infrastructure.bootstrap, allowed.topic(REGISTRY_ADMINISTRATIVE_UNITS.name), expect=1)
        letters = await read_topic(infrastructure.bootstrap, dead_letters, expect=2, timeout=3)
    assert [AdministrativeUnitChanged.model_validate_json(r.value).name for r in units] == ["Tỉnh Trà Vinh"]
    assert len(letters) == 1  # applied, not refused again
