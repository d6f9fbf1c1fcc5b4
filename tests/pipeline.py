"""The whole system as processes on its own PostgreSQL, broker and SMTP server, with faults on
demand: the harness of the fault, scale and benchmark runs (issue 8).

A `Pipeline` owns everything it starts, so it can kill -9 a service, restart the broker on its
log directory or crash PostgreSQL without touching the session's shared servers. "Settled"
is read from the outside, the way an operator would: every consumer group has committed the
end of every partition it reads, every outbox is empty, twice in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import create_async_engine

from shared.devstack.brokers import choose_broker
from shared.devstack.demo import write_readers
from shared.devstack.postgres import PostgresServer
from shared.devstack.processes import Supervisor, discard_workdir, free_port
from shared.devstack.services import SERVICES, ServiceGroup, migrate, service_environment
from shared.events.base import EventData
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_INBOUND, TOPICS
from shared.kafka import ensure_topics
from shared.outbox import OutboxRecord, Outgoing, encode
from shared.testing import CollectingSmtpHandler

SOURCE = "/demo/tra-vinh-commune-records"
TOKEN = "pipeline-token"
READER_TOKEN = "pipeline-reader-token"

# What each service's consumer group reads (from the catalogue), for the settled check.
CONSUMED = {
    service: [t.name for t in TOPICS if service in t.consumers] for service in SERVICES
}

# The cell columns that are figures (revisions and timestamps depend on how work was batched).
CELL_FIGURES = (
    "title", "hierarchy", "level", "area_code", "year", "parent_code", "area_name", "total", "registered",
    "recognised", "assessed", "rule_versions", "ratio_all", "ratio_registered", "data_status",
    "data_status_reason", "change_points", "goal_percent", "goal_year", "projected_goal_year_percent",
    "target_percent",
)


def inbound(facts: Iterable[tuple[str, EventData]], *, start: datetime | None = None, salt: str = "") -> list[OutboxRecord]:
    """Facts as a government system publishes them: stable ids, and each fact a microsecond
    after the one before (so "the newest fact wins" has one answer whatever the arrival order)."""
    moment = start or datetime.now(UTC)
    records = []
    for number, (key, fact) in enumerate(facts):
        seed = f"{SOURCE}|{salt}|{number}|{type(fact).__name__}"
        records.append(encode(Outgoing(REGISTRY_INBOUND, key, fact, id_seed=seed), source=SOURCE,
                              now=moment + timedelta(microseconds=number)))
    return records


def shuffled(records: Sequence[OutboxRecord], seed: int = 7) -> list[OutboxRecord]:
    copy = list(records)
    random.Random(seed).shuffle(copy)
    return copy


@dataclass
class Pipeline:
    workdir: Path
    postgres: PostgresServer
    broker: Any
    supervisor: Supervisor
    group: ServiceGroup
    smtp: CollectingSmtpHandler
    env: dict[str, str]
    database_url: str
    started_at: float = field(default_factory=time.monotonic)

    @classmethod
    @contextlib.contextmanager
    def running(
        cls,
        *,
        broker: str = "auto",
        services: Sequence[str] = SERVICES,
        extra: dict[str, str] | None = None,
        agencies: Callable[[Path], Path] | None = None,
        workdir: Path | None = None,
        log_level: str = "WARNING",
    ) -> Iterator[Pipeline]:
        throwaway = workdir is None
        workdir = workdir or Path(tempfile.mkdtemp(prefix="hoctap-pipeline-"))
        supervisor = Supervisor()
        postgres = PostgresServer(workdir / "postgres", durable=False).start()
        smtp = CollectingSmtpHandler()
        controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            database_url = postgres.create_database("hoctap")
            chosen = choose_broker(broker, workdir, supervisor).start()
            asyncio.run(ensure_topics(chosen.bootstrap, TOPICS))
            from shared.devstack.demo import Demo

            demo = Demo.load()
            settings = {
                "REGISTRY_PUBLISHERS_FILE": str(demo.write_publishers(workdir / "publishers.yaml", TOKEN)),
                "REGISTRY_NATIONAL_ID_KEY": "pipeline-national-id-key-0123456789",
                "HOCTAP_READERS_FILE": str(write_readers(workdir / "readers.yaml", READER_TOKEN)),
                "NOTIFICATIONS_AGENCIES_FILE": str((agencies or (lambda d: demo.write_agencies(d / "agencies.yaml")))(workdir)),
                "HOCTAP_LOG_LEVEL": log_level,
                "HOCTAP_ENVIRONMENT": "test",
                # Restarted members must be noticed quickly, and their partitions reassigned.
                "HOCTAP_KAFKA_SESSION_TIMEOUT_MS": "6000",
                "HOCTAP_KAFKA_HEARTBEAT_INTERVAL_MS": "1000",
                "REGISTRY_PARK_RETRY_SECONDS": "1",
                **(extra or {}),
            }
            env = service_environment(
                database_url=database_url,
                bootstrap=chosen.bootstrap,
                idempotent_producer=chosen.idempotent_producer,
                smtp_port=controller.port,
                ports={s: free_port() for s in SERVICES},
                extra=settings,
            )
            migrate(env, workdir)
            group = ServiceGroup(supervisor, env, workdir / "logs", {s: int(env[f"{s.upper()}_HTTP_PORT"]) for s in SERVICES})
            if services:  # none: the caller starts them (an empty `start()` means all)
                group.start(*services)
                group.wait_ready(180, *services)
            yield cls(workdir, postgres, chosen, supervisor, group, smtp, env, database_url)
        finally:
            supervisor.stop_all(timeout=30)
            controller.stop()
            if throwaway:
                postgres.discard()
                discard_workdir(workdir)
            else:
                postgres.stop()

    @property
    def bootstrap(self) -> str:
        return str(self.broker.bootstrap)

    # -- facts in ------------------------------------------------------------------------------

    def produce(self, records: Sequence[OutboxRecord], *, rate: float | None = None,
                progress: Callable[[int, int], None] | None = None,
                at: dict[int, Callable[[], Any]] | None = None) -> float:
        """Publish records to their topics (at `rate` per second if given); `at` maps a percentage
        of the records sent to an action run then (a fault, a replica joining). Actions run on
        this thread: a child process dies with the thread that started it (PR_SET_PDEATHSIG).
        Returns the seconds it took."""
        cuts = sorted({min(len(records), len(records) * percent // 100) for percent in (at or {})} | {len(records)})
        actions = sorted((at or {}).items())
        started, sent = time.monotonic(), 0
        for cut in cuts:
            segment = records[sent:cut]
            if segment:
                asyncio.run(_produce(self.bootstrap, segment, rate, progress))
            sent = cut
            while actions and len(records) * actions[0][0] // 100 <= sent:
                _, action = actions.pop(0)
                action()
        return time.monotonic() - started

    def produce_raw(self, items: Sequence[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]]) -> None:
        """Publish hand-made records (topic, key, value, headers): poison, oversized, odd."""

        async def send() -> None:
            from aiokafka import AIOKafkaProducer

            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", max_request_size=16 * 1024 * 1024)
            await producer.start()
            try:
                for topic, key, value, headers in items:
                    await producer.send_and_wait(topic, value, key=key, headers=headers)
            finally:
                await producer.stop()

        asyncio.run(send())

    # -- faults --------------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        self.group.kill(name)

    def restart(self, name: str, *, kill: bool = True) -> None:
        """kill -9 (or stop) a service process and start it again."""
        if kill:
            self.group.kill(name)
        else:
            self.group.stop(name)
        self.group.start(name)
        self.group.wait_ready(180, name)

    def restart_broker(self, *, kill: bool = False) -> None:
        self.broker.restart(kill=kill)

    def restart_postgres(self) -> None:
        """A PostgreSQL crash (immediate stop: no checkpoint) and recovery, services running."""
        self.postgres.restart("immediate")

    # -- observation ---------------------------------------------------------------------------

    def settle(self, timeout: float = 600.0, quiet: float = 3.0, interval: float = 0.25) -> float:
        """Wait until every consumer group is at the end of every topic it reads and every outbox
        is empty, and stays so for `quiet` seconds; returns the monotonic time work last moved.

        One Kafka client pair and one database connection serve every look (reopened after a
        broker or PostgreSQL restart): a fresh set per look cost the broker more CPU than some
        services under measurement."""
        return asyncio.run(self._settle(timeout, quiet, interval))

    async def _settle(self, timeout: float, quiet: float, interval: float) -> float:
        deadline = time.monotonic() + timeout
        last_state: Any = None
        moved_at = time.monotonic()
        probe: _Probe | None = None
        try:
            while time.monotonic() < deadline:
                try:
                    probe = probe or await _Probe.open(self.bootstrap, self.database_url)
                    state = await probe.state()
                except Exception:  # the broker or the database is restarting
                    if probe is not None:
                        await probe.close()
                        probe = None
                    await asyncio.sleep(0.5)
                    continue
                if state != last_state:
                    last_state, moved_at = state, time.monotonic()
                done = all(lag == 0 for lag in state[0].values()) and all(n == 0 for n in state[1].values())
                if done and time.monotonic() - moved_at >= quiet:
                    return moved_at
                await asyncio.sleep(interval)
        finally:
            if probe is not None:
                await probe.close()
        raise TimeoutError(f"not settled after {timeout:.0f} s: {last_state}")

    def cells(self) -> list[tuple[Any, ...]]:
        """Every metrics cell's figures, sorted: two runs with equal lists reported the same."""
        return asyncio.run(self._query(
            f"select {', '.join(CELL_FIGURES)} from metrics.cell order by title, hierarchy, level, area_code, year"
        ))

    def decisions(self) -> list[tuple[Any, ...]]:
        """Recognition's decisions (one per title, entity, year and rule series), without revisions or times."""
        return asyncio.run(self._query(
            "select title, entity_id, year, rule_set_id, rule_version, granted, assessable, total_points"
            " from recognition.decision order by title, entity_id, year, rule_set_id, rule_version"
        ))

    async def _query(self, sql: str) -> list[tuple[Any, ...]]:
        engine = create_async_engine(self.database_url.replace("postgresql://", "postgresql+asyncpg://"))
        try:
            async with engine.connect() as connection:
                return [tuple(_plain(v) for v in row) for row in await connection.execute(sa.text(sql))]
        finally:
            await engine.dispose()

    def emails(self) -> Counter[str]:
        """How many times each alert key reached the SMTP server."""
        return Counter(str(m["X-Hoctap-Alert-Key"]) for m in self.smtp.messages)

    def message_ids(self) -> set[str]:
        return {str(m["Message-ID"]) for m in self.smtp.messages}

    def dead_letters(self, service: str = "registry") -> list[dict[str, str]]:
        """Every record on a service's dead-letter topic, as its `hoctap_dlq_*` headers."""
        from tests.integration.kafka_helpers import read_topic

        records = asyncio.run(read_topic(self.bootstrap, DEAD_LETTERS[service].name, expect=10**9, timeout=5))
        return [
            {name.removeprefix("hoctap_dlq_"): (value or b"").decode("utf-8", "replace")
             for name, value in r.headers if name.startswith("hoctap_dlq_") or name == "ce_id"}
            | {"value_bytes": str(len(r.value or b""))}
            for r in records
        ]

    def rss_mb(self) -> dict[str, float]:
        """Peak resident memory (VmHWM) of every running service process, in MB."""
        out = {}
        for name, process in self.supervisor.children:
            if name in self.group.ports and process.poll() is None:
                status = Path(f"/proc/{process.pid}/status").read_text()
                peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
                out[name] = round(peak / 1024, 1)
        return out


OUTSTANDING = " union all ".join(
    [f"select '{service}', count(*) from {service}.outbox" for service in SERVICES]
    + ["select 'registry.parked', count(*) from registry.parked_fact",
       "select 'notifications.pending', count(*) from notifications.alert where status = 'pending'"]
)


@dataclass
class _Probe:
    """What `settle` reads: each group's lag, what waits in the outboxes, and the topics' ends."""

    admin: Any
    reader: Any
    engine: Any

    @classmethod
    async def open(cls, bootstrap: str, database_url: str) -> _Probe:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"), pool_size=1)
        probe = cls(admin, reader, engine)
        try:
            await admin.start()
            await reader.start()
        except Exception:
            await probe.close()
            raise
        return probe

    async def state(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        from aiokafka import TopicPartition

        lags: dict[str, int] = {}
        ends_seen: dict[str, int] = {}
        for service in SERVICES:
            partitions = [TopicPartition(t, p) for t in CONSUMED[service]
                          for p in (self.reader.partitions_for_topic(t) or await _partitions(self.reader, t))]
            ends = await self.reader.end_offsets(partitions)
            committed = await self.admin.list_consumer_group_offsets(f"hoctap-{service}")
            lags[service] = sum(end - (committed[tp].offset if tp in committed and committed[tp] else 0)
                                for tp, end in ends.items())
            ends_seen[service] = sum(ends.values())
        async with self.engine.connect() as connection:
            outstanding = {name: int(count) for name, count in await connection.execute(sa.text(OUTSTANDING))}
        return lags, outstanding, ends_seen

    async def close(self) -> None:
        for closing in (self.reader.stop(), self.admin.close(), self.engine.dispose()):
            with contextlib.suppress(Exception):
                await closing


async def _partitions(reader: Any, topic: str) -> set[int]:
    await reader._client.force_metadata_update()
    return reader.partitions_for_topic(topic) or set()


async def _produce(bootstrap: str, records: Sequence[OutboxRecord], rate: float | None,
                   progress: Callable[[int, int], None] | None) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=10, max_batch_size=512 * 1024,
                                request_timeout_ms=120_000, retry_backoff_ms=500)
    await producer.start()
    started = time.monotonic()
    step = max(1, len(records) // 100)
    try:
        pending = []
        for number, record in enumerate(records, 1):
            if rate:
                ahead = (number / rate) - (time.monotonic() - started)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            pending.append(await producer.send(record.topic, record.value, key=record.key, headers=list(record.headers)))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
            if progress and (number % step == 0 or number == len(records)):
                progress(number, len(records))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, float):
        return round(value, 9)
    return value
