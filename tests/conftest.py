"""Test harness: markers by folder, and real infrastructure started once per session.

Integration and end-to-end tests get a real PostgreSQL and a real Kafka-protocol broker:
Apache Kafka (KRaft, from Maven Central) where Java 17 is present, else Tansu. Point at your own
with HOCTAP_TEST_DATABASE_URL / HOCTAP_TEST_KAFKA_BOOTSTRAP, or force one with
HOCTAP_TEST_BROKER=kafka|tansu.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LAYERS = ("unit", "contract", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for layer in LAYERS:
            if layer in parts:
                item.add_marker(getattr(pytest.mark, layer))


@dataclass
class Infrastructure:
    database_url: str
    bootstrap: str
    broker_name: str
    idempotent_producer: bool
    postgres: object | None


_STATE: dict[str, Infrastructure] = {}


def pytest_report_header(config: pytest.Config) -> str:
    preference = os.environ.get("HOCTAP_TEST_BROKER", "auto")
    if os.environ.get("HOCTAP_TEST_KAFKA_BOOTSTRAP"):
        return f"broker: external at {os.environ['HOCTAP_TEST_KAFKA_BOOTSTRAP']}"
    from shared.devstack.brokers import apache_kafka_available

    chosen = "Apache Kafka (KRaft)" if preference == "kafka" or (preference == "auto" and apache_kafka_available()) else "Tansu"
    return f"broker for integration and e2e tests: {chosen}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    infra = _STATE.get("infra")
    if infra is not None:
        terminalreporter.write_line(f"integration and e2e tests ran on {infra.broker_name} at {infra.bootstrap}")


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    from shared.devstack.brokers import choose_broker
    from shared.devstack.postgres import PostgresServer
    from shared.devstack.processes import Supervisor, discard_workdir

    supervisor = Supervisor()
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-test-"))
    postgres = None
    try:
        database_url = os.environ.get("HOCTAP_TEST_DATABASE_URL")
        if not database_url:
            postgres = PostgresServer(workdir / "postgres", durable=False).start()
            database_url = postgres.create_database("hoctap_test")
        bootstrap = os.environ.get("HOCTAP_TEST_KAFKA_BOOTSTRAP")
        if bootstrap:
            name, idempotent = "an external broker", os.environ.get("HOCTAP_TEST_KAFKA_IDEMPOTENT", "1") == "1"
        else:
            broker = choose_broker(os.environ.get("HOCTAP_TEST_BROKER", "auto"), workdir, supervisor).start()
            bootstrap, name, idempotent = broker.bootstrap, broker.name, broker.idempotent_producer
        print(f"\n[hoctap] integration tests use {name} at {bootstrap} and PostgreSQL at {database_url}")
        infra = Infrastructure(database_url, bootstrap, name, idempotent, postgres)
        _STATE["infra"] = infra
        yield infra
    finally:
        supervisor.stop_all(timeout=20)
        if postgres is not None:
            postgres.discard()
        discard_workdir(workdir)


@pytest.fixture
def topic_prefix(infrastructure: Infrastructure) -> str:
    """A fresh set of catalogue topics for one test, so tests never see each other's records."""
    from shared.events.catalogue import TOPICS
    from shared.kafka import ensure_topics
    from shared.testing import random_id

    prefix = random_id("t") + "."
    asyncio.run(ensure_topics(infrastructure.bootstrap, TOPICS, prefix))
    return prefix


@pytest.fixture
def schema_suffix() -> str:
    from shared.testing import random_id

    return random_id("s")
