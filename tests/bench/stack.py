"""The real stack for benchmarks: PostgreSQL, a broker, and services as processes."""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.devstack.brokers import choose_broker
from shared.devstack.demo import Demo, progress_bar
from shared.devstack.postgres import PostgresServer
from shared.devstack.processes import Supervisor, discard_workdir, free_port
from shared.devstack.services import SERVICES, ServiceGroup, migrate, service_environment
from shared.events.catalogue import TOPICS
from shared.kafka import ensure_topics

TOKEN = "bench-token"


@dataclass
class BenchStack:
    workdir: Path
    postgres: PostgresServer
    bootstrap: str
    broker_name: str
    group: ServiceGroup
    supervisor: Supervisor


@contextlib.contextmanager
def bench_stack(services: tuple[str, ...] = SERVICES, broker: str = "auto", extra: dict[str, str] | None = None) -> Iterator[BenchStack]:
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-bench-"))
    supervisor = Supervisor()
    postgres = PostgresServer(workdir / "postgres", durable=False).start()
    try:
        database_url = postgres.create_database("bench")
        chosen = choose_broker(broker, workdir, supervisor).start()
        asyncio.run(ensure_topics(chosen.bootstrap, TOPICS))
        demo = Demo.load()
        env = service_environment(
            database_url=database_url,
            bootstrap=chosen.bootstrap,
            idempotent_producer=chosen.idempotent_producer,
            smtp_port=free_port(),
            ports={s: free_port() for s in SERVICES},
            extra={
                "REGISTRY_PUBLISHERS_FILE": str(demo.write_publishers(workdir / "publishers.yaml", TOKEN)),
                "REGISTRY_NATIONAL_ID_KEY": "bench-national-id-key-0123456789",
                "NOTIFICATIONS_AGENCIES_FILE": str(demo.write_agencies(workdir / "agencies.yaml")),
                "HOCTAP_LOG_LEVEL": "WARNING",
                **(extra or {}),
            },
        )
        migrate(env, workdir)
        group = ServiceGroup(supervisor, env, workdir / "logs", {s: int(env[f"{s.upper()}_HTTP_PORT"]) for s in SERVICES})
        group.start(*services)
        group.wait_ready(120, *services)
        yield BenchStack(workdir, postgres, chosen.bootstrap, chosen.name, group, supervisor)
    finally:
        supervisor.stop_all(timeout=30)
        postgres.discard()
        discard_workdir(workdir)


async def send_all(bootstrap: str, records: Sequence[tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]],
                   label: str, window: int = 20_000) -> float:
    """Publish (topic, key, value, headers) records as fast as the broker takes them, at most
    `window` unacknowledged at a time, with a progress bar; returns the seconds it took."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=1024 * 1024)
    await producer.start()
    progress = progress_bar(label)
    started = time.perf_counter()
    try:
        pending = []
        for sent, (topic, key, value, headers) in enumerate(records, start=1):
            pending.append(await producer.send(topic, value, key=key, headers=headers))
            if len(pending) >= window:
                await asyncio.gather(*pending)
                pending = []
                progress(sent, len(records))
        await asyncio.gather(*pending)
        progress(len(records), len(records))
    finally:
        await producer.stop()
    return time.perf_counter() - started


def scrape(url: str) -> dict[str, float]:
    """Sum every sample of each metric family at a /metrics endpoint."""
    totals: dict[str, float] = {}
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if match:
            totals[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return totals


def consumed(url: str, service: str, topic: str) -> float:
    samples = scrape(url)
    return sum(v for k, v in samples.items() if k.startswith(f"hoctap_{service}_events_consumed_total") and f'topic="{topic}"' in k)


def wait_for(check, timeout: float, interval: float = 0.5) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(interval)
    raise TimeoutError(f"not done after {timeout:.0f} s")


def rss_mb(pid: int) -> float:
    """Peak resident memory of a process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


_TICKS = None


def cpu_seconds(pids: dict[str, int | None]) -> dict[str, float]:
    """CPU time (user + system) spent so far by each named process, and by every PostgreSQL
    and Java (the Kafka broker) process on the machine, in seconds. Differences of two readings
    show where a stretch of a benchmark spent its CPU."""
    import os

    global _TICKS
    if _TICKS is None:
        _TICKS = os.sysconf("SC_CLK_TCK")
    wanted = {pid: name for name, pid in pids.items() if pid}
    totals: dict[str, float] = {name: 0.0 for name in (*pids, "postgres", "kafka")}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seconds = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
        pid = int(entry.name)
        if pid in wanted:
            totals[wanted[pid]] += seconds
        elif comm == "postgres":
            totals["postgres"] += seconds
        elif comm == "java":
            totals["kafka"] += seconds
    return totals


def cpu_spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after.get(name, 0.0) - before.get(name, 0.0), 2) for name in after}
