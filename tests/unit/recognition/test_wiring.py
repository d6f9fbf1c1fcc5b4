"""The real recognition app under FastStream's in-memory TestKafkaBroker (no network)."""

from faststream.kafka import TestKafkaBroker
from prometheus_client import CollectorRegistry

from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.app import build_app, build_runtime
from services.recognition.settings import RecognitionSettings
from shared.events.catalogue import RECOGNITION_DECISIONS, REGISTRY_ENTITY_TOPICS
from shared.testing import record_of

from .factories import citizen_evidence, routed
from .fakes import FakeRecognitionUnitOfWork


async def test_every_registry_entity_topic_is_consumed() -> None:
    runtime = build_runtime(
        RecognitionSettings(), load_rule_book(), unit_of_work=FakeRecognitionUnitOfWork
    )
    assert {c.topic for c in runtime.consumers} == {t.name for t in REGISTRY_ENTITY_TOPICS}


async def test_citizen_evidence_on_its_topic_becomes_a_decision_in_the_outbox_and_a_metric() -> (
    None
):
    uow = FakeRecognitionUnitOfWork()
    registry = CollectorRegistry()
    settings = RecognitionSettings(topic_prefix="w.")
    runtime = build_runtime(settings, load_rule_book(), unit_of_work=lambda: uow, registry=registry)
    topic, key = routed(event := citizen_evidence("c-1", 2024))
    record = record_of(topic, key, event)
    async with TestKafkaBroker(runtime.broker) as broker:
        await broker.publish(
            record.value,
            settings.topic(topic.name),
            key=record.key,
            headers={k: v.decode() for k, v in record.headers},
        )
    [decision] = uow.outbox.on(RECOGNITION_DECISIONS.name)
    assert (
        decision.key == b"c-1"
        and decision.header("ce_type") == b"vn.hoctap.recognition.title-decided.v1"
    )
    labels = {"title": "learning_citizen", "outcome": "granted"}
    assert registry.get_sample_value("hoctap_recognition_decisions_total", labels) == 1


def test_the_api_describes_rule_sets_decisions_and_simulations_in_openapi() -> None:
    spec = build_app(RecognitionSettings()).openapi()
    assert {
        "/v1/rule-sets",
        "/v1/decisions/{title}/{entity_id}/{year}",
        "/v1/simulations",
        "/healthz",
        "/readyz",
        "/metrics",
    } <= set(spec["paths"])
    assert "post" in spec["paths"]["/v1/simulations"]
