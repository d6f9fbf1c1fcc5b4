from pathlib import Path

from services.metrics.app import build_runtime as metrics_runtime
from services.metrics.settings import MetricsSettings
from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.app import build_runtime as recognition_runtime
from services.recognition.settings import RecognitionSettings
from services.registry.app import build_runtime as registry_runtime
from services.registry.settings import RegistrySettings
from shared.events.catalogue import GOVERNMENT_SYSTEMS, SERVICES, TOPICS, catalogue_table

README = Path(__file__).resolve().parents[2] / "README.md"


def runtimes() -> dict:  # type: ignore[type-arg]
    from services.notifications.app import build_app

    return {
        "registry": registry_runtime(RegistrySettings()),
        "recognition": recognition_runtime(RecognitionSettings(), load_rule_book()),
        "metrics": metrics_runtime(MetricsSettings()),
        "notifications": build_app().state.runtime,
    }


def test_each_service_consumes_exactly_the_topics_the_catalogue_lists_for_it() -> None:
    for service, runtime in runtimes().items():
        consumed = {c.topic for c in runtime.consumers}
        listed = {t.name for t in TOPICS if service in t.consumers}
        assert consumed == listed, service


def test_each_service_publishes_only_topics_it_produces() -> None:
    for service, runtime in runtimes().items():
        produced = {t.name for t in TOPICS if t.producer == service}
        assert set(runtime.published_topics) <= produced, service


def test_every_consumed_topic_has_a_producer_and_every_service_has_a_dead_letter_topic() -> None:
    producers = {*SERVICES, GOVERNMENT_SYSTEMS}
    assert all(t.producer in producers for t in TOPICS)
    assert {t.producer for t in TOPICS if t.dead_letter} == set(SERVICES)


def test_the_readme_shows_the_catalogue_as_it_is() -> None:
    assert catalogue_table() in README.read_text(encoding="utf-8")
