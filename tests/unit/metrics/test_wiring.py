"""The real metrics app under FastStream's in-memory TestKafkaBroker (no network, no database)."""

from faststream.kafka import TestKafkaBroker

from services.metrics.app import build_app, build_runtime
from services.metrics.settings import MetricsSettings
from shared.events.catalogue import (
    DEAD_LETTERS,
    METRICS_INDICATORS,
    RECOGNITION_DECISIONS,
    REGISTRY_ENTITY_TOPICS,
)
from shared.events.metrics import IndicatorChanged

from .factories import as_record, family_decision, household, province_map
from .fakes import FakeMetricsUnitOfWork


async def test_every_registry_entity_topic_and_the_decisions_are_consumed() -> None:
    runtime = build_runtime(MetricsSettings(), unit_of_work=FakeMetricsUnitOfWork)
    assert {c.topic for c in runtime.consumers} == {
        t.name for t in (*REGISTRY_ENTITY_TOPICS, RECOGNITION_DECISIONS)
    }
    assert METRICS_INDICATORS.name in runtime.published_topics


async def test_a_decision_on_the_broker_becomes_indicator_events_in_the_outbox() -> None:
    uow = FakeMetricsUnitOfWork()
    settings = MetricsSettings(topic_prefix="w.")
    runtime = build_runtime(settings, unit_of_work=lambda: uow)
    records = [as_record(a) for a in province_map()] + [
        as_record(household(0, "29401-01")),
        as_record(family_decision(0, 2024, True)),
    ]
    async with TestKafkaBroker(runtime.broker) as broker:
        for record in records:
            await broker.publish(
                record.value,
                settings.topic(record.topic),
                key=record.key,
                headers={k: v.decode() for k, v in record.headers},
            )
    events = [
        IndicatorChanged.model_validate_json(r.value)
        for r in uow.outbox.on(METRICS_INDICATORS.name)
    ]
    assert {(e.hierarchy, e.level.value, e.area_code) for e in events if e.revision == 1} >= {
        ("current", "province", "84"),
        ("recorded", "hamlet", "29401-01"),
    }
    assert uow.outbox.on(DEAD_LETTERS["metrics"].name) == []


async def test_a_malformed_decision_becomes_a_dead_letter_not_an_error() -> None:
    uow = FakeMetricsUnitOfWork()
    runtime = build_runtime(MetricsSettings(), unit_of_work=lambda: uow)
    headers = dict((k, v.decode()) for k, v in as_record(family_decision(0, 2024, True)).headers)
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(
            b'{"title": "learning_family"', RECOGNITION_DECISIONS.name, key=b"hh-0", headers=headers
        )
    [letter] = uow.outbox.on(DEAD_LETTERS["metrics"].name)
    assert letter.header("hoctap_dlq_reason_code") == b"malformed_json"


def test_the_api_is_described_in_openapi() -> None:
    app = build_app(MetricsSettings())
    paths = app.openapi()["paths"]
    assert {
        "/v1/indicators",
        "/v1/indicators/{hierarchy}/{title}/{year}/{area_code}",
        "/v1/reports/december",
    } <= set(paths)
    parameters = {p["name"] for p in paths["/v1/indicators"]["get"]["parameters"]}
    assert {"title", "year", "level", "hierarchy", "area", "parent", "format"} <= parameters
    assert "text/csv" in paths["/v1/reports/december"]["get"]["responses"]["200"]["content"]
