"""The whole pipeline at province scale (`make bench`): throughput against a raw baseline,
latency under a steady load, peak memory per service, and where the time goes.

    .venv/bin/python -m tests.bench.bench_pipeline [--scale 1.0] [--rate 2000] [--latency-seconds 60]
                                                   [--profile SECONDS] [--broker kafka|tansu]

1. A province (`shared/devstack/province.py`, ≈1.55 M inbound facts at scale 1) is published to
   registry.inbound.v1 while no service runs. Its administrative units (≈900: the official list)
   are imported first, through the registry's own import path, as `import-areas` does before any
   population system publishes; they are not counted.
2. Baseline, on the same machine and the same records: one process doing aiokafka consume +
   pydantic validation + batched PostgreSQL upsert (`baseline.py`).
3. The four services start; the clock runs from their launch until every consumer group has
   committed the end of every topic it reads and every outbox is empty: every fact is then
   reflected in the metrics (`e2e_events_per_s`, checked against the province's household count).
4. The next year's evidence arrives at a steady `--rate` for `--latency-seconds`; the age of each
   event when metrics committed it (ce_origintime → commit, `hoctap_metrics_event_age_seconds`)
   gives `p50_latency_s` and `p99_latency_s` (interpolated within histogram buckets).

Steps 3 and 4 also report the CPU each process spent (the four services, PostgreSQL, the Kafka
broker), in µs an inbound fact or steady event (`cpu_us_per_fact`, `steady_cpu_us_per_event`):
on two cores, 1,000 µs in total caps the pipeline near 2,000 a second.

Ends with one JSON line. Figures from a loaded machine are not comparable: run it alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from shared.devstack.demo import progress_bar
from shared.devstack.province import Scale, expected_count, facts
from shared.devstack.services import SERVICES
from shared.events import inbound as f
from shared.events.catalogue import REGISTRY_INBOUND
from shared.outbox import Outgoing, encode
from tests.pipeline import Pipeline

from .baseline import run_baseline
from .stack import cpu_seconds, cpu_spent

SOURCE = "/demo/tra-vinh-commune-records"
FLOORS = {"e2e_events_per_s": 10_000, "ratio_to_baseline": 0.25, "p99_latency_s": 2.0, "max_rss_mb": 300}


async def import_areas(env: dict[str, str], scale: Scale) -> int:
    """The province's administrative units, applied as the import commands apply them."""
    from services.registry.cli import apply_facts
    from services.registry.settings import RegistrySettings

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        settings = RegistrySettings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    areas = [data for _, data in facts(scale) if isinstance(data, f.AdministrativeUnitRegistered)]
    counts = await apply_facts(settings, areas, actor="bench-areas")
    assert counts.get("applied") == len(areas), counts
    return len(areas)


async def publish_province(bootstrap: str, scale: Scale) -> tuple[int, list[str]]:
    """Stream the province's population facts into the inbound topic; returns the count and the
    household ids."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, max_batch_size=1024 * 1024)
    await producer.start()
    progress = progress_bar("publishing the province")
    expected = expected_count(scale)
    households: list[str] = []
    now = datetime.now(UTC)
    sent = 0
    try:
        pending = []
        for number, (key, data) in enumerate(facts(scale)):
            if isinstance(data, f.AdministrativeUnitRegistered):
                continue  # imported beforehand
            if isinstance(data, f.HouseholdRegistered):
                households.append(data.household_id)
            record = encode(Outgoing(REGISTRY_INBOUND, key, data, id_seed=f"bench/{number}"), source=SOURCE, now=now)
            pending.append(await producer.send(REGISTRY_INBOUND.name, record.value, key=record.key, headers=list(record.headers)))
            sent += 1
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
                progress(sent, max(sent, expected))
        await asyncio.gather(*pending)
        progress(sent, sent)
    finally:
        await producer.stop()
    return sent, households


async def steady_evidence(bootstrap: str, households: list[str], year: int, rate: float, seconds: float,
                          on_start: Callable[[], object] = lambda: None) -> int:
    """The next year's family evidence at a steady rate (a pass for two households in three).
    The records are made before the clock starts, so that making them (pydantic models, JSON,
    headers: about as much CPU as one service spends on each) does not compete with the
    pipeline for the machine while it is measured; a real publisher runs elsewhere."""
    from aiokafka import AIOKafkaProducer

    from shared.devstack.demo import failing_evidence, passing_evidence

    rng = random.Random(year)
    count = int(rate * seconds)
    prepared = []
    for number in range(count):
        household = households[number % len(households)]
        evidence = passing_evidence(rng) if number % 3 else failing_evidence(rng)
        data = f.FamilyEvidenceSubmitted(household_id=household, year=year, evidence=evidence)
        prepared.append(encode(Outgoing(REGISTRY_INBOUND, household, data, id_seed=f"bench/steady/{year}/{number}"),
                               source=SOURCE, now=datetime.now(UTC)))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5)
    await producer.start()
    progress = progress_bar(f"evidence at {rate:.0f}/s")
    on_start()
    started = time.monotonic()
    try:
        for number, record in enumerate(prepared):
            # Its age in the metrics counts from the record's timestamp, which the producer sets now.
            await producer.send(REGISTRY_INBOUND.name, record.value, key=record.key, headers=list(record.headers))
            ahead = (number + 1) / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
            if number % 2000 == 0:
                progress(number, count)
        await producer.flush()
        progress(count, count)
    finally:
        await producer.stop()
    return count


def cpu_per_event(spent: dict[str, float], events: int) -> dict[str, int]:
    """CPU seconds by process (`stack.cpu_seconds`) as µs an event, with their total."""
    per = {name: round(seconds / events * 1e6) for name, seconds in spent.items()}
    return {**per, "total": sum(per.values())}


def histogram(url: str, name: str) -> dict[float, float]:
    """Cumulative bucket counts of a histogram, summed over its label sets."""
    buckets: Counter[float] = Counter()
    for line in httpx.get(url + "/metrics", timeout=30).text.splitlines():
        if line.startswith(name + "_bucket{"):
            le = re.search(r'le="([^"]+)"', line).group(1)  # type: ignore[union-attr]
            buckets[float("inf") if le == "+Inf" else float(le)] += float(line.rsplit(" ", 1)[1])
    return dict(buckets)


def quantile(q: float, before: dict[float, float], after: dict[float, float]) -> float:
    """Prometheus' histogram_quantile over the difference of two scrapes."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return float("nan")
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if bound == float("inf"):
                return lower_bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / max(count - lower_count, 1e-9)
        lower_bound, lower_count = bound, count
    return bounds[-2] if len(bounds) > 1 else float("nan")


def province_households(url: str, year: int) -> int | None:
    cells = httpx.get(url + "/v1/indicators", params={"title": "learning_family", "year": year, "level": "province"},
                      timeout=30).json()
    return max((c["total"] for c in cells), default=None)


def profile(pipeline: Pipeline, seconds: int) -> dict[str, list[str]]:
    """py-spy's hottest functions (own time) in each service for `seconds`, if py-spy is installed."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return {}
    runs = {}
    for name in ("registry", "recognition", "metrics"):
        pid = pipeline.supervisor.pid(name)
        if pid is None:
            continue
        out = pipeline.workdir / f"profile-{name}.txt"
        runs[name] = (subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(seconds), "-r", "50", "-f", "raw", "-o", str(out)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out)
    tops = {}
    for name, (process, out) in runs.items():
        process.wait()
        tops[name] = top_lines(out) if out.exists() else []
    return tops


def top_lines(path: Path, count: int = 8) -> list[str]:
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():
            continue
        frame = stack.split(";")[-1]
        if "Condition.wait" in frame or "select (selectors" in frame:
            continue  # idle threads
        own[frame] += int(samples)
        total += int(samples)
    return [f"{100 * n / total:5.1f}% {frame}" for frame, n in own.most_common(count)] if total else []


def batch_sizes(pipeline: Any) -> dict[tuple[str, str], tuple[float, float]]:
    """Per service and consumed topic: how many batches, and records consumed a batch on average
    (every outcome counted), from each service's own /metrics."""
    sizes = {}
    for service in ("registry", "recognition", "metrics", "notifications"):
        text = httpx.get(pipeline.group.url(service) + "/metrics", timeout=10).text
        batches: Counter[str] = Counter()
        records: Counter[str] = Counter()
        for line in text.splitlines():
            match = re.match(rf'hoctap_{service}_(batch_processing_seconds_count|events_consumed_total)\{{[^}}]*topic="([^"]+)"[^}}]*\}} (\S+)', line)
            if match:
                (batches if match.group(1).startswith("batch") else records)[match.group(2)] += float(match.group(3))
        for topic, count in batches.items():
            if count:
                sizes[(service, topic)] = (count, records[topic] / count)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--latency-seconds", type=float, default=60.0)
    parser.add_argument("--profile", type=int, default=30, help="seconds of py-spy per service during the run (0: none)")
    parser.add_argument("--broker", default="kafka")
    args = parser.parse_args()
    scale = Scale().scaled(args.scale)
    year = scale.years[-1]
    with Pipeline.running(broker=args.broker, services=()) as pipeline:
        print(f"broker {pipeline.broker.name} at {pipeline.bootstrap}; PostgreSQL at {pipeline.database_url}", flush=True)
        areas = asyncio.run(import_areas(pipeline.env, scale))
        print(f"{areas:,} administrative units imported", flush=True)
        total, households = asyncio.run(publish_province(pipeline.bootstrap, scale))
        print(f"{total:,} inbound facts, {len(households):,} households", flush=True)

        print("baseline: aiokafka consume + pydantic validation + batched PostgreSQL upsert ...", flush=True)
        baseline = run_baseline(pipeline.bootstrap, pipeline.database_url, total)
        print(f"  {baseline['events_per_s']:,.0f} facts/s", flush=True)

        print("the four services, from launch until every fact is reflected in the metrics ...", flush=True)
        launched = time.monotonic()
        pipeline.group.start()
        pipeline.group.wait_ready(180)
        pids = {name: pipeline.supervisor.pid(name) for name in SERVICES}
        cpu_before = cpu_seconds(pids)
        profiles = profile(pipeline, args.profile) if args.profile else {}
        settled_at = pipeline.settle(timeout=6 * 3600, quiet=5)
        e2e_seconds = settled_at - launched
        cpu_after = cpu_seconds(pids)
        counted = province_households(pipeline.group.url("metrics"), year)
        batches = batch_sizes(pipeline)
        print("  batches (records a batch on average, per service and topic):", flush=True)
        for (service, topic), (count, mean) in sorted(batches.items()):
            print(f"    {service:<14} {topic:<34} {count:>7,.0f} batches  {mean:>7,.0f}", flush=True)
        readings: list[dict[str, float]] = []
        print(f"  {e2e_seconds:,.1f} s; metrics count {counted:,} households for {year} (published {len(households):,})", flush=True)

        metrics_url = pipeline.group.url("metrics")
        before = histogram(metrics_url, "hoctap_metrics_event_age_seconds")
        sent = asyncio.run(steady_evidence(pipeline.bootstrap, households, year + 1, args.rate, args.latency_seconds,
                                           on_start=lambda: readings.append(cpu_seconds(pids))))
        pipeline.settle(timeout=3600, quiet=3)
        readings.append(cpu_seconds(pids))
        after = histogram(metrics_url, "hoctap_metrics_event_age_seconds")
        rss = pipeline.rss_mb()

    e2e = total / e2e_seconds
    result: dict[str, Any] = {
        "broker": pipeline.broker.name,
        "scale": args.scale,
        "inbound_facts": total,
        "e2e_seconds": round(e2e_seconds, 1),
        "e2e_events_per_s": round(e2e, 1),
        "baseline_events_per_s": round(baseline["events_per_s"], 1),
        "ratio_to_baseline": round(e2e / baseline["events_per_s"], 3),
        "steady_rate_per_s": args.rate,
        "steady_events": sent,
        "p50_latency_s": round(quantile(0.50, before, after), 3),
        "p99_latency_s": round(quantile(0.99, before, after), 3),
        "max_rss_mb": rss,
        "cpu_us_per_fact": cpu_per_event(cpu_spent(cpu_before, cpu_after), total),
        "steady_cpu_us_per_event": cpu_per_event(cpu_spent(*readings), sent),
        "mean_batch_records": {f"{service}:{topic}": round(mean) for (service, topic), (_, mean) in sorted(batches.items())},
        "households_counted": counted,
        "households_published": len(households),
        "cpus": os.cpu_count(),
    }
    print("\nCPU a fact, end to end (µs, by process): "
          + ", ".join(f"{k} {v:,}" for k, v in result["cpu_us_per_fact"].items()))
    print("CPU an event of the steady stream (µs, from its start until every service is idle again): "
          + ", ".join(f"{k} {v:,}" for k, v in result["steady_cpu_us_per_event"].items()))
    for name, lines in profiles.items():
        print(f"\nhottest functions (own time) in {name}:")
        for line in lines:
            print("  " + line)
    misses = [name for name, floor in FLOORS.items() if name != "max_rss_mb" and (
        result[name] > floor if name.endswith("latency_s") else result[name] < floor)]
    misses += [f"max_rss_mb[{s}]" for s, mb in rss.items() if mb > FLOORS["max_rss_mb"]]
    print("\nfloors (issue 8): " + (", ".join(f"{m} missed" for m in misses) if misses else "all met"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
