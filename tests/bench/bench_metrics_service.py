"""The metrics service as it runs: a real `serve` process folding a year's decisions from Kafka.

    .venv/bin/python -m tests.bench.bench_metrics_service [--households 275000] [--batch N] [--replicas N]
                                                          [--profile SECONDS] [--broker kafka|tansu]

`bench_metrics` times the fold in-process, decoding left out, against same-run baselines. This
one answers the question an operator asks: how fast does the service itself, reading Kafka,
catch up with a whole year of decisions, and how much memory does it take doing so.

1. The metrics service starts alone on a real broker and PostgreSQL (`stack.bench_stack`). The
   province's areas and households arrive as the registry publishes them, and are folded.
2. The service stops; a year's decisions (`TitleDecided`, with their criteria, as recognition
   publishes them) are published to recognition.decisions.v1, so they wait as a backlog.
3. The service starts again. Its own `events_consumed_total` (counted after each batch's commit)
   is polled: the rate is what it consumed from the first count seen until the last, over that
   time (start-up and the group join are left out; they are printed).
   Its peak resident memory (VmHWM) is read at the end; py-spy's top lines if `--profile`.

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from shared.events.catalogue import (
    RECOGNITION_DECISIONS,
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_HOUSEHOLDS,
)
from shared.events.registry import HouseholdChanged
from shared.events.vocabulary import Level
from shared.outbox import Outgoing, encode

from .bench_metrics import decisions, province, say
from .bench_pipeline import top_lines
from .stack import bench_stack, consumed, cpu_seconds, cpu_spent, rss_mb, scrape, send_all

SERVICE = "metrics"


async def publish(bootstrap: str, outgoing: list[Outgoing], label: str) -> None:
    now = datetime.now(UTC)
    records = [encode(item, source="/bench/recognition", now=now) for item in outgoing]
    await send_all(bootstrap, [(item.topic.name, r.key, r.value, list(r.headers)) for item, r in zip(outgoing, records, strict=True)], label)  # type: ignore[misc]


def resident_mb(pid: int | None) -> float:
    """Resident memory of a process now (VmRSS), in MB."""
    if pid is None:
        return 0.0
    try:
        for line in open(f"/proc/{pid}/status").read().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def wait_consumed(urls: list[str], topic: str, expected: int, timeout: float, pids: dict[str, int | None] | None = None,
                  memory: list[tuple[float, int, float]] | None = None,
                  cpu: list[dict[str, float]] | None = None) -> tuple[float, float, int]:
    """Poll the consumed count of `topic`, summed over the service's processes at `urls`, until it
    reaches `expected`. Returns the seconds until a first count showed, the seconds from then
    until all were consumed, and how many had been consumed at that first sight (the batch or
    two done before it). `memory` gets (seconds, count, the largest resident MB of `pids`);
    `cpu` the CPU readings (`stack.cpu_seconds`) at the first sight and at the end."""
    pids = pids or {}
    started = time.monotonic()
    first, at_first = None, 0
    while time.monotonic() - started < timeout:
        count = 0
        for url in urls:
            try:
                count += int(consumed(url, SERVICE, topic))
            except Exception:  # a process may still be starting
                pass
        if memory is not None:
            memory.append((time.monotonic() - started, count, max((resident_mb(pid) for pid in pids.values()), default=0.0)))
        if count and first is None:
            first, at_first = time.monotonic(), count
            if cpu is not None:
                cpu.append(cpu_seconds(pids))
        if count >= expected and first is not None:
            if cpu is not None:
                cpu.append(cpu_seconds(pids))
            return first - started, time.monotonic() - first, at_first
        # Each poll is a whole /metrics scrape, which the service pays for: at 0.1 s throughout
        # it took 4 % of the fold's CPU (Prometheus scrapes every 15 s). So 0.5 s while far
        # from the end, 0.1 s near it, where the poll's resolution decides the measured time.
        time.sleep(0.1 if count >= 0.9 * expected else 0.5)
    raise TimeoutError(f"{SERVICE} consumed fewer than {expected} records of {topic} in {timeout:.0f} s")


def batch_figures(urls: list[str], topic: str) -> tuple[float, float]:
    """How many batches of `topic` the service's processes handled, and the seconds they took in all."""
    name = f"hoctap_{SERVICE}_batch_processing_seconds"
    count = total = 0.0
    for url in urls:
        samples = scrape(url)
        count += sum(v for k, v in samples.items() if k.startswith(name + "_count") and f'topic="{topic}"' in k)
        total += sum(v for k, v in samples.items() if k.startswith(name + "_sum") and f'topic="{topic}"' in k)
    return count, total


def memory_chart(samples: list[tuple[float, int, float]], expected: int, rows: int = 12) -> str:
    """One bar per stretch of the fold: the highest resident memory while it was consumed."""
    if not samples:
        return "  (no samples)"
    peak = max(mb for _, _, mb in samples) or 1.0
    lines = []
    for row in range(rows):
        low, high = expected * row // rows, expected * (row + 1) // rows
        stretch = [mb for _, count, mb in samples if low <= count < high or (row == rows - 1 and count >= high)]
        if not stretch:
            continue
        mb = max(stretch)
        lines.append(f"  {low:>9,}–{high:<9,} {'#' * round(40 * mb / peak):<40} {mb:6.0f}")
    return "\n".join(lines)


def profile(pid: int, seconds: int, out: Any) -> Any:
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return None
    return subprocess.Popen([spy, "record", "-p", str(pid), "-d", str(seconds), "-r", "50", "-f", "raw", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(households: int, hamlets: int, year: int, batch: int | None, broker: str, profile_seconds: int,
        extra: dict[str, str] | None = None, replicas: int = 1) -> dict[str, Any]:
    extra = {**({"METRICS_BATCH_MAX_RECORDS": str(batch)} if batch else {}), **(extra or {})}
    with bench_stack(services=(SERVICE,), broker=broker, extra=extra) as stack:
        url = stack.group.url(SERVICE)
        units = province(hamlets, reformed=year >= 2025)
        hamlet_codes = [u.code for u in units if u.level == Level.HAMLET]
        ids = [f"hh-{n:06d}" for n in range(households)]
        say(f"setup: {len(units)} areas and {households} households through Kafka ({stack.broker_name}) ...")
        asyncio.run(publish(stack.bootstrap, [Outgoing(REGISTRY_ADMINISTRATIVE_UNITS, u.code, u) for u in units], "areas"))
        wait_consumed([url], REGISTRY_ADMINISTRATIVE_UNITS.name, len(units), 300)
        snapshots = [
            Outgoing(REGISTRY_HOUSEHOLDS, h, HouseholdChanged(
                household_id=h, hamlet_code=hamlet_codes[n % len(hamlet_codes)],
                commune_code=hamlet_codes[n % len(hamlet_codes)][:5], province_code=units[0].code,
                registered_on=datetime(2019, 1, 1).date(), version=1))
            for n, h in enumerate(ids)
        ]
        asyncio.run(publish(stack.bootstrap, snapshots, "households"))
        del snapshots
        _, households_seconds, _ = wait_consumed([url], REGISTRY_HOUSEHOLDS.name, households, 1800)
        say(f"  households folded in {households_seconds:.1f} s")

        stack.group.stop(SERVICE)
        chosen = decisions(ids, year, seed=1)
        asyncio.run(publish(stack.bootstrap, [Outgoing(RECOGNITION_DECISIONS, d.entity_id, d) for d in chosen],
                            f"{len(chosen)} decisions of {year} (the service stopped)"))
        del chosen
        say("the service starts on the backlog" + (f", as {replicas} processes in one consumer group" if replicas > 1 else "") + " ...")
        stack.group.start(SERVICE)
        names = [SERVICE] + [stack.group.start_replica(SERVICE, n) for n in range(2, replicas + 1)]
        urls = [stack.group.url(name) for name in names]
        pids = {name: stack.supervisor.pid(name) for name in names}
        pid = pids[SERVICE]
        spy = profile(pid, profile_seconds, stack.workdir / "profile-metrics.txt") if profile_seconds and pid else None
        memory: list[tuple[float, int, float]] = []
        readings: list[dict[str, float]] = []
        start_seconds, fold_seconds, before = wait_consumed(urls, RECOGNITION_DECISIONS.name, households, 3600, pids, memory, readings)
        rate = (households - before) / fold_seconds  # counted from the first batch seen committed
        peaks = {name: round(rss_mb(p), 1) if p else 0.0 for name, p in pids.items()}
        peak_mb = max(peaks.values())
        cpu = cpu_spent(*readings)
        say(f"  {before} decisions consumed {start_seconds:.1f} s after launch; the other {households - before} in "
            f"{fold_seconds:.1f} s = {rate:,.0f} decisions/s; peak memory {peak_mb:.0f} MB"
            + (f" (per process: {', '.join(f'{n} {mb:.0f}' for n, mb in peaks.items())})" if replicas > 1 else ""))
        batches, batch_seconds = batch_figures(urls, RECOGNITION_DECISIONS.name)
        say(f"  {batches:.0f} batches: {households / max(batches, 1):,.0f} decisions and "
            f"{1000 * batch_seconds / max(batches, 1):,.0f} ms a batch on average")
        say("CPU during the fold (seconds; share of the fold's wall time; µs a decision):")
        for name, seconds in cpu.items():
            say(f"  {name:<14} {seconds:7.1f} s  {100 * seconds / fold_seconds:5.0f} %  "
                f"{1e6 * seconds / (households - before):6.1f} µs")
        say("resident memory while folding (MB), against decisions consumed:")
        say(memory_chart(memory, households))
        top: list[str] = []
        if spy is not None:
            spy.wait()
            top = top_lines(stack.workdir / "profile-metrics.txt", 12)
            say("profile (py-spy, own time):\n  " + "\n  ".join(top))
        return {
            "households": households,
            "year": year,
            "batch_max_records": int(batch or 0) or None,
            "broker": stack.broker_name,
            "households_fold_seconds": round(households_seconds, 1),
            "start_seconds": round(start_seconds, 1),
            "service_fold_seconds": round(fold_seconds, 1),
            "service_decisions_per_second": round(rate),
            "replicas": replicas,
            "max_rss_mb": round(peak_mb, 1),
            "max_rss_mb_per_process": peaks,
            "cpu_seconds": cpu,
            "batches": int(batches),
            "profile": top,
        }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_metrics_service")
    parser.add_argument("--households", type=int, default=275_000)
    parser.add_argument("--hamlets", type=int, default=780)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--batch", type=int, default=None, help="METRICS_BATCH_MAX_RECORDS (default: the service's)")
    parser.add_argument("--broker", default="auto")
    parser.add_argument("--profile", type=int, default=0, help="py-spy the service for this many seconds of the fold")
    parser.add_argument("--replicas", type=int, default=1, help="metrics processes in one consumer group")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra setting for the service, e.g. METRICS_GC_THRESHOLDS=[700,10,10]")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    figures = run(args.households, args.hamlets, args.year, args.batch, args.broker, args.profile, extra, args.replicas)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
