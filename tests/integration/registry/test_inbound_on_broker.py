"""Facts on the real inbound topic: waiting references, expiry, staleness, authorisation, duplicates."""

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer

from services.registry.adapters.db import AUDIT, PARKED
from shared.events import inbound as f
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_CITIZENS, REGISTRY_INBOUND, REGISTRY_REJECTIONS
from shared.events.registry import CitizenChanged, InboundRejected
from shared.events.vocabulary import Level
from shared.outbox import Outgoing, encode

from ..kafka_helpers import header, read_topic
from .conftest import SOURCES

BASE = datetime(2026, 11, 1, tzinfo=UTC)
AREAS = [
    f.AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29401", level=Level.COMMUNE, name="Xã Hòa Lợi", parent_code="84", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29407", level=Level.COMMUNE, name="Xã Hưng Mỹ", parent_code="84", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29401-01", level=Level.HAMLET, name="Ấp Bến Cát", parent_code="29401", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29407-01", level=Level.HAMLET, name="Ấp Hưng Mỹ", parent_code="29407", valid_from="2020-01-01"),
]


async def publish(running, facts, *, source: str = SOURCES["province"], minutes: int = 0, seed: str = "") -> None:  # type: ignore[no-untyped-def]
    producer = AIOKafkaProducer(bootstrap_servers=running.settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for number, data in enumerate(facts):
            key = getattr(data, "household_id", None) or getattr(data, "code", None) or data.citizen_id
            record = encode(Outgoing(REGISTRY_INBOUND, key, data, id_seed=f"{seed}{source}{number}{data.model_dump_json()}"),
                            source=source, now=BASE + timedelta(minutes=minutes + number))
            await producer.send_and_wait(running.settings.topic(REGISTRY_INBOUND.name), record.value, key=record.key, headers=list(record.headers))
    finally:
        await producer.stop()


async def eventually(check, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.3)


async def test_a_member_before_its_household_waits_and_then_applies(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    await publish(running, AREAS)
    await publish(running, [
        f.CitizenRegistered(citizen_id="c-1", birth_year=1980, national_id="079201001234"),
        f.MemberAdded(household_id="hh-1", citizen_id="c-1", role="head", added_on="2021-01-01"),
    ], minutes=10)

    async def parked() -> int:
        async with running.registry.runtime.engine.connect() as connection:
            return await connection.scalar(sa.select(sa.func.count()).select_from(PARKED))

    assert await eventually(parked) == 1
    await publish(running, [f.HouseholdRegistered(household_id="hh-1", hamlet_code="29401-01", registered_on="2021-01-01")], minutes=20)
    citizens = await read_topic(running.settings.kafka_bootstrap_servers, running.settings.topic(REGISTRY_CITIZENS.name), expect=2)
    latest = CitizenChanged.model_validate_json(citizens[-1].value)
    assert (latest.household_id, latest.has_national_id) == ("hh-1", True)
    assert await parked() == 0
    for record in citizens:
        assert b"079201001234" not in record.value


async def test_a_fact_waiting_too_long_is_refused_with_expired_waiting(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    await publish(running, [f.CitizenRegistered(citizen_id="c-9", birth_year=1990),
                            f.MemberAdded(household_id="hh-never", citizen_id="c-9", added_on="2021-01-01")])
    notices = await read_topic(running.settings.kafka_bootstrap_servers, running.settings.topic(REGISTRY_REJECTIONS.name), expect=1, timeout=40)
    rejected = InboundRejected.model_validate_json(notices[0].value)
    assert rejected.reason_code == "expired_waiting" and "household hh-never" in rejected.reason
    letters = await read_topic(running.settings.kafka_bootstrap_servers, running.settings.topic(DEAD_LETTERS["registry"].name), expect=1)
    assert header(letters[0], "hoctap_dlq_reason").startswith(b"expired_waiting")  # type: ignore[union-attr]
    # The audit says it once on arrival and once at the end, however many retries came between.
    async with running.registry.runtime.engine.connect() as connection:
        outcomes = (await connection.execute(
            sa.select(AUDIT.c.outcome, AUDIT.c.detail).where(AUDIT.c.entity_key == "hh-never").order_by(AUDIT.c.id)
        )).all()
    assert [o for o, _ in outcomes] == ["waiting", "rejected"]
    assert outcomes[1].detail.startswith("waited") and "household hh-never" in outcomes[1].detail


async def test_an_older_update_is_ignored_and_recorded_and_a_foreign_commune_is_refused(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    await publish(running, AREAS)
    await publish(running, [f.AdministrativeUnitRenamed(code="29407-01", name="Ấp Hưng Mỹ A", effective_on="2026-01-01")], minutes=30)
    await publish(running, [f.AdministrativeUnitRenamed(code="29407-01", name="Ấp Hưng Mỹ cũ", effective_on="2026-01-01")], minutes=20)
    await publish(running, [f.HouseholdRegistered(household_id="hh-7", hamlet_code="29407-01", registered_on="2021-01-01")],
                  source=SOURCES["hoa-loi"], minutes=40)
    await publish(running, AREAS[:1], minutes=50)  # the same event again (same id): a no-op

    notices = await read_topic(running.settings.kafka_bootstrap_servers, running.settings.topic(REGISTRY_REJECTIONS.name), expect=2)
    codes = sorted(InboundRejected.model_validate_json(n.value).reason_code for n in notices)
    assert codes == ["not_authorised", "stale"]
    unit = (await running.http.get("/v1/administrative-units/29407-01", headers=running.as_("province"))).json()
    assert unit["name"] == "Ấp Hưng Mỹ A"
    async with running.registry.runtime.engine.connect() as connection:
        outcomes = [r.outcome for r in await connection.execute(sa.select(AUDIT.c.outcome).where(AUDIT.c.entity_key == "29407-01").order_by(AUDIT.c.id))]
    assert outcomes[-2:] == ["applied", "stale"]
    duplicates = running.registry.runtime.registry.get_sample_value(
        "hoctap_registry_events_consumed_total", {"topic": REGISTRY_INBOUND.name, "outcome": "duplicate"}
    )
    assert duplicates == 1
