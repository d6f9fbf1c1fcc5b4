"""The real registry app under FastStream's in-memory TestKafkaBroker (no network)."""

from faststream.kafka import TestKafkaBroker

from services.registry.app import build_runtime
from services.registry.settings import RegistrySettings
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_INBOUND
from shared.events.inbound import AdministrativeUnitRegistered
from shared.events.vocabulary import Level
from shared.kafka import BrokerPublisher
from shared.testing import record_of

from .fakes import FakeRegistryUnitOfWork


async def test_an_inbound_fact_is_consumed_and_its_snapshot_relayed_to_the_unit_topic() -> None:
    uow = FakeRegistryUnitOfWork()
    settings = RegistrySettings(topic_prefix="w.")
    runtime = build_runtime(settings, unit_of_work=lambda: uow)
    relayed = runtime.broker.subscriber(settings.topic(REGISTRY_ADMINISTRATIVE_UNITS.name), batch=False)(lambda body: None)
    fact = record_of(REGISTRY_INBOUND, "84", AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", valid_from="2020-01-01"))

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(fact.value, settings.topic(REGISTRY_INBOUND.name), key=fact.key, headers={k: v.decode() for k, v in fact.headers})
        [record] = uow.outbox.on(REGISTRY_ADMINISTRATIVE_UNITS.name)
        await BrokerPublisher(runtime.broker, settings).publish_many([record])

        relayed.mock.assert_called_once()
        assert relayed.mock.call_args.args[0]["code"] == "84"


async def test_malformed_json_on_the_inbound_topic_becomes_a_dead_letter_not_an_error() -> None:
    uow = FakeRegistryUnitOfWork()
    settings = RegistrySettings()
    runtime = build_runtime(settings, unit_of_work=lambda: uow)
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(b'{"code": 84', REGISTRY_INBOUND.name, key=b"84", headers={"ce_id": "1", "ce_source": "/x", "ce_specversion": "1.0", "ce_type": AdministrativeUnitRegistered.TYPE, "ce_time": "2026-01-01T00:00:00Z", "content-type": "application/json"})
    [letter] = uow.outbox.on(DEAD_LETTERS["registry"].name)
    assert letter.header("hoctap_dlq_reason_code") == b"malformed_json"
