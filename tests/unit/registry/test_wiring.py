"""The real registry app under FastStream's in-memory TestKafkaBroker (no network)."""

from faststream.kafka import TestKafkaBroker

from services.registry.app import build_runtime
from services.registry.domain.scope import Publisher, Publishers
from services.registry.settings import RegistrySettings
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_INBOUND, REGISTRY_REJECTIONS
from shared.events.inbound import AdministrativeUnitRegistered, CitizenRegistered
from shared.events.registry import InboundRejected
from shared.events.vocabulary import Level
from shared.kafka import BrokerPublisher
from shared.testing import record_of

from .fakes import FakeRegistryUnitOfWork

PUBLISHERS = Publishers((Publisher("tests", ("/test",), ("*",)),))


def headers(record) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v.decode() for k, v in record.headers}


async def test_an_inbound_fact_is_consumed_and_its_snapshot_relayed_to_the_unit_topic() -> None:
    uow = FakeRegistryUnitOfWork()
    settings = RegistrySettings(topic_prefix="w.")
    runtime = build_runtime(settings, unit_of_work=lambda: uow, publishers=PUBLISHERS)
    relayed = runtime.broker.subscriber(settings.topic(REGISTRY_ADMINISTRATIVE_UNITS.name), batch=False)(lambda body: None)
    fact = record_of(REGISTRY_INBOUND, "84", AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", valid_from="2020-01-01"))

    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(fact.value, settings.topic(REGISTRY_INBOUND.name), key=fact.key, headers=headers(fact))
        [record] = uow.outbox.on(REGISTRY_ADMINISTRATIVE_UNITS.name)
        await BrokerPublisher(runtime.broker, settings).publish_many([record])

        relayed.mock.assert_called_once()
        assert relayed.mock.call_args.args[0]["code"] == "84"
    assert [row["outcome"] for row in uow.store.audit_rows] == ["applied"]


async def test_malformed_json_becomes_a_dead_letter_and_a_rejection_for_the_publisher() -> None:
    uow = FakeRegistryUnitOfWork()
    runtime = build_runtime(RegistrySettings(), unit_of_work=lambda: uow, publishers=PUBLISHERS)
    good = record_of(REGISTRY_INBOUND, "84", AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="X", valid_from="2020-01-01"))
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(b'{"code": 84', REGISTRY_INBOUND.name, key=b"84", headers=headers(good))
    [letter] = uow.outbox.on(DEAD_LETTERS["registry"].name)
    assert letter.header("hoctap_dlq_reason_code") == b"malformed_json"
    [notice] = uow.outbox.on(REGISTRY_REJECTIONS.name)
    rejected = InboundRejected.model_validate_json(notice.value)  # type: ignore[arg-type]
    assert rejected.reason_code == "malformed_json" and rejected.rejected_id == headers(good)["ce_id"]
    assert notice.key == headers(good)["ce_id"].encode()


async def test_a_national_id_never_reaches_a_dead_letter_in_clear() -> None:
    uow = FakeRegistryUnitOfWork()
    runtime = build_runtime(RegistrySettings(), unit_of_work=lambda: uow, publishers=PUBLISHERS)
    fact = record_of(REGISTRY_INBOUND, "c-1", CitizenRegistered(citizen_id="c-1", birth_year=1990, national_id="079201001234", household_id="hh-404"))
    bad_value = fact.value.replace(b'"birth_year":1990', b'"birth_year":"old"')  # type: ignore[union-attr]
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(bad_value, REGISTRY_INBOUND.name, key=b"c-1", headers=headers(fact))
    [letter] = uow.outbox.on(DEAD_LETTERS["registry"].name)
    assert b"079201001234" not in (letter.value or b"")
    assert b'"national_id":"[redacted]"' in (letter.value or b"")


def test_serving_outside_dev_needs_a_real_key_and_a_publishers_file() -> None:
    import pytest

    for settings, problem in (
        (RegistrySettings(environment="prod"), "national_id_key"),
        (RegistrySettings(environment="prod", national_id_key="k" * 32), "publishers_file"),
        (RegistrySettings(environment="prod", national_id_key="k" * 32, authorisation="off"), "only allowed in dev"),
    ):
        with pytest.raises(ValueError, match=problem):
            settings.check_for_serving()


async def test_a_national_id_in_the_key_a_header_or_the_reason_is_redacted_everywhere_a_refusal_goes(caplog) -> None:  # type: ignore[no-untyped-def]
    uow = FakeRegistryUnitOfWork()
    runtime = build_runtime(RegistrySettings(), unit_of_work=lambda: uow, publishers=PUBLISHERS)
    fact = record_of(REGISTRY_INBOUND, "c-1", CitizenRegistered(citizen_id="c-1", birth_year=1990, household_id="hh-1"))
    sloppy = headers(fact) | {"ce_subject": "079201001234", "ce_type": "vn.citizen-079201001234.v1"}
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(fact.value, REGISTRY_INBOUND.name, key=b"079201001234", headers=sloppy)

    [letter] = uow.outbox.on(DEAD_LETTERS["registry"].name)
    assert letter.header("hoctap_dlq_reason_code") == b"unknown_type"
    assert letter.key == b"[redacted]"
    assert letter.header("ce_subject") == b"[redacted]"
    assert letter.header("ce_type") == b"vn.citizen-[redacted].v1"
    assert b"[redacted]" in (letter.header("hoctap_dlq_reason") or b"")
    assert letter.header("ce_id") == sloppy["ce_id"].encode(), "the identity a replay needs is kept"
    assert all(b"079201001234" not in value for _, value in letter.headers)
    [notice] = uow.outbox.on(REGISTRY_REJECTIONS.name)
    assert b"079201001234" not in (notice.value or b"") and b"[redacted]" in (notice.value or b"")
    logged = [r for r in caplog.records if r.getMessage() == "dead-lettered a record"]
    assert logged and all("079201001234" not in str(r.__dict__.get("reason")) for r in logged)


async def test_a_fact_keyed_by_a_national_id_is_audited_under_its_entity_instead() -> None:
    uow = FakeRegistryUnitOfWork()
    runtime = build_runtime(RegistrySettings(), unit_of_work=lambda: uow, publishers=PUBLISHERS)
    area = record_of(REGISTRY_INBOUND, "84", AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="X", valid_from="2020-01-01"))
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(area.value, REGISTRY_INBOUND.name, key=b"079201001234", headers=headers(area))
    assert [row["entity_key"] for row in uow.store.audit_rows] == ["84"]
