"""Resync re-emits the registry's state so that a downstream projection rebuilt from it alone
equals the projection built from the original stream."""

import asyncio
import json
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from services.registry.handlers.resync import resync
from shared.events.catalogue import REGISTRY_ENTITY_TOPICS

from .conftest import import_rows

POPULATION = [
    {"type": "administrative-unit-registered", "data": {"code": "84", "level": "province", "name": "Tỉnh Trà Vinh", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29401", "level": "commune", "name": "Xã Hòa Lợi", "parent_code": "84", "valid_from": "2020-01-01"}},
    {"type": "administrative-unit-registered", "data": {"code": "29401-01", "level": "hamlet", "name": "Ấp Bến Cát", "parent_code": "29401", "valid_from": "2020-01-01"}},
    {"type": "household-registered", "data": {"household_id": "hh-1", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}},
    {"type": "household-registered", "data": {"household_id": "hh-2", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}},
    {"type": "citizen-registered", "data": {"citizen_id": "c-1", "birth_year": 1980, "household_id": "hh-1", "national_id": "079201001234"}},
    {"type": "clan-registered", "data": {"clan_id": "cl-1", "name": "Họ Thạch", "home_commune_code": "29401", "registered_on": "2021-01-01"}},
    {"type": "clan-joined", "data": {"clan_id": "cl-1", "household_id": "hh-2", "joined_on": "2021-01-01"}},
    {"type": "unit-registered", "data": {"unit_id": "u-1", "name": "Trường TH Hòa Lợi", "kind": "school", "commune_code": "29401", "member_count": 30, "registered_on": "2021-01-01"}},
    {"type": "unit-member-added", "data": {"unit_id": "u-1", "citizen_id": "c-1"}},
    {"type": "title-registration-submitted", "data": {"title": "learning_clan", "entity_id": "cl-1", "year": 2024}},
    {"type": "family-evidence-submitted", "data": {"household_id": "hh-1", "year": 2024, "evidence": {
        "school_age_children": 1, "children_in_school": 1, "children_results_satisfactory": 1, "children_good_conduct": 1,
        "adults": 2, "adults_learning": 2, "has_books_and_study_corner": True, "has_internet_for_learning": True,
        "cultural_family": True, "livelihood_improved": True, "takes_part_in_community_learning": True}}},
]


async def records_after(bootstrap: str, topics: list[str], starts: dict[TopicPartition, int]) -> list:  # type: ignore[type-arg]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records = []
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or await _partitions(consumer, t))]
        consumer.assign(partitions)
        for partition in partitions:
            consumer.seek(partition, starts.get(partition, 0))
        quiet = 0
        while quiet < 4:
            batch = await consumer.getmany(timeout_ms=500)
            quiet = 0 if batch else quiet + 1
            for items in batch.values():
                records.extend(items)
    finally:
        await consumer.stop()
    return records


async def _partitions(consumer, topic: str) -> set[int]:  # type: ignore[no-untyped-def]
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


def projection(records: list) -> dict:  # type: ignore[type-arg]
    """Latest payload per (event type, entity, title, year): what a downstream service would keep."""
    latest: dict = {}  # type: ignore[type-arg]
    for record in records:
        kind = dict(record.headers)["ce_type"].decode()
        payload = json.loads(record.value)
        key = (kind, record.key, payload.get("title"), payload.get("year"))
        if key not in latest or latest[key]["version"] < payload["version"]:
            latest[key] = payload
    return latest


async def test_a_projection_rebuilt_from_a_resync_equals_the_original(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    results = await import_rows(running, POPULATION)
    assert {r["status"] for r in results} == {"applied"}, results
    topics = [running.settings.topic(t.name) for t in REGISTRY_ENTITY_TOPICS]
    bootstrap = running.settings.kafka_bootstrap_servers
    while await running.registry.runtime.relay.backlog():
        await asyncio.sleep(0.2)
    original = await records_after(bootstrap, topics, {})
    marks: dict[TopicPartition, int] = {}
    for record in original:
        partition = TopicPartition(record.topic, record.partition)
        marks[partition] = max(marks.get(partition, 0), record.offset + 1)

    counts = await resync(running.registry.unit_of_work, clock=lambda: datetime.now(UTC))
    assert counts["household"] == 2 and counts["evidence"] == 1
    running.registry.runtime.relay.wake()
    while await running.registry.runtime.relay.backlog():
        await asyncio.sleep(0.2)
    rebuilt = await records_after(bootstrap, topics, marks)

    assert projection(rebuilt) == projection(original)
    # 3 areas, 2 households, 1 citizen, 1 clan, 1 learning unit, 2 registrations (clan, family), 1 evidence
    assert len(projection(original)) == 11
    assert not ({dict(r.headers)["ce_id"] for r in rebuilt} & {dict(r.headers)["ce_id"] for r in original}), "resync events need fresh ids"
    for record in original + rebuilt:
        assert b"079201001234" not in record.value
