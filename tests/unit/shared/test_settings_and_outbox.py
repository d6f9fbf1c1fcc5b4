import uuid
from typing import Any

import pytest

from services.registry.settings import RegistrySettings
from shared.events.catalogue import REGISTRY_HOUSEHOLDS
from shared.events.envelope import CloudEvent
from shared.events.inbound import HouseholdRegistered
from shared.outbox import Outgoing, encode
from shared.testing import NOW


def test_a_service_variable_wins_over_the_project_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOCTAP_KAFKA_BOOTSTRAP_SERVERS", "shared:9092")
    assert RegistrySettings().kafka_bootstrap_servers == "shared:9092"
    monkeypatch.setenv("REGISTRY_KAFKA_BOOTSTRAP_SERVERS", "own:9092")
    assert RegistrySettings().kafka_bootstrap_servers == "own:9092"


def test_a_plain_postgres_url_gets_the_asyncpg_driver_and_the_schema_defaults_to_the_service() -> None:
    settings = RegistrySettings(database_url="postgresql://u@db:5432/hoctap")
    assert settings.database_url == "postgresql+asyncpg://u@db:5432/hoctap"
    assert settings.database_schema == "registry"


def test_a_non_postgres_url_is_refused() -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        RegistrySettings(database_url="mysql://db/hoctap")


def test_an_event_cannot_be_put_on_a_topic_that_does_not_carry_its_type() -> None:
    data = HouseholdRegistered(household_id="hh-1", hamlet_code="29398-01", registered_on="2020-01-01")
    with pytest.raises(TypeError, match="not an event type of topic"):
        encode(Outgoing(REGISTRY_HOUSEHOLDS, "hh-1", data), source="/hoctap/registry", now=NOW)


def test_a_seeded_event_id_is_the_same_every_time() -> None:
    from shared.events.registry import HouseholdChanged

    data = HouseholdChanged(
        household_id="hh-1", hamlet_code="29398-01", commune_code="29398", province_code="84", registered_on="2020-01-01", version=1
    )
    first = encode(Outgoing(REGISTRY_HOUSEHOLDS, "hh-1", data, id_seed="seed"), source="/hoctap/registry", now=NOW)
    second = encode(Outgoing(REGISTRY_HOUSEHOLDS, "hh-1", data, id_seed="seed"), source="/hoctap/registry", now=NOW)
    envelope = CloudEvent.from_headers(first.headers)
    assert first == second
    assert first.key == b"hh-1" and envelope.subject == "hh-1"
    assert envelope.type == HouseholdChanged.TYPE and envelope.source == "/hoctap/registry"
    assert uuid.UUID(envelope.id)


def test_stable_event_ids_are_the_uuid5_of_their_seed() -> None:
    import uuid

    from shared.outbox import NAMESPACE, stable_event_id

    for seed in ("registry/household/hh-1/3", "", "Xã Hòa Lợi|2024|digest:missed", "x" * 500):
        assert stable_event_id(seed) == str(uuid.uuid5(NAMESPACE, seed))


def test_an_event_serialised_by_its_handler_travels_as_those_bytes_and_otherwise_as_its_json() -> None:
    from shared.events.registry import HouseholdChanged

    data = HouseholdChanged(
        household_id="hh-1", hamlet_code="29398-01", commune_code="29398", province_code="84", registered_on="2020-01-01", version=1
    )
    serialised = data.model_dump_json().encode()
    given = encode(Outgoing(REGISTRY_HOUSEHOLDS, "hh-1", data, value=serialised), source="/hoctap/registry", now=NOW)
    assert given.value is serialised
    assert encode(Outgoing(REGISTRY_HOUSEHOLDS, "hh-1", data), source="/hoctap/registry", now=NOW).value == serialised


def _subscriber(settings: object) -> Any:
    """The batch subscriber a service's settings produce, for one topic (not started)."""
    from shared.kafka import create_broker, subscribe

    class Consumer:
        topic = "registry.inbound.v1"
        description = ""

        async def __call__(self, records: list[object]) -> None: ...

    broker = create_broker(settings)  # type: ignore[arg-type]
    return subscribe(broker, settings, [Consumer()])  # type: ignore[arg-type, list-item]


def _read_ahead(settings: object) -> tuple[int, int]:
    arguments = _subscriber(settings)._connection_args  # what the Kafka consumer is built with
    return arguments["fetch_max_bytes"], arguments["max_partition_fetch_bytes"]


def test_the_kafka_client_reads_ahead_as_far_as_each_service_is_set_to(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a backlog the Kafka client's buffers are a consumer's memory beyond its batch: 50 MB
    at a time, 2 MB a partition; metrics, whose batches are the largest, 16 MB."""
    from services.metrics.settings import MetricsSettings

    assert _read_ahead(MetricsSettings()) == (16 * 1024 * 1024, 2 * 1024 * 1024)
    assert _read_ahead(RegistrySettings()) == (50 * 1024 * 1024, 2 * 1024 * 1024)
    monkeypatch.setenv("METRICS_KAFKA_FETCH_MAX_BYTES", str(8 * 1024 * 1024))
    monkeypatch.setenv("METRICS_KAFKA_MAX_PARTITION_FETCH_BYTES", str(1024 * 1024))
    assert _read_ahead(MetricsSettings()) == (8 * 1024 * 1024, 1024 * 1024)
    assert _read_ahead(RegistrySettings()) == (50 * 1024 * 1024, 2 * 1024 * 1024)


def test_each_service_takes_batches_as_large_as_its_settings_allow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry, which sets the pipeline's pace, takes up to 5,000 records a batch; metrics
    10,000; the others 2,000."""
    from services.metrics.settings import MetricsSettings
    from services.recognition.settings import RecognitionSettings

    def batch_of(settings: object) -> int:
        return _subscriber(settings).max_records  # type: ignore[no-any-return]

    assert (batch_of(RegistrySettings()), batch_of(MetricsSettings()), batch_of(RecognitionSettings())) == (5000, 10_000, 2000)
    monkeypatch.setenv("REGISTRY_BATCH_MAX_RECORDS", "2000")
    assert batch_of(RegistrySettings()) == 2000
