"""Registry throughput: a province of facts through registry.inbound.v1, measured until the
registry has consumed every fact and published every resulting snapshot.

    .venv/bin/python -m tests.bench.bench_registry [--scale 0.1] [--broker tansu|kafka]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from shared.devstack.province import Scale, facts
from shared.events.catalogue import REGISTRY_INBOUND
from shared.outbox import Outgoing, encode

from .stack import bench_stack, consumed, rss_mb, scrape, send_all, wait_for

SOURCE = "/demo/tra-vinh-commune-records"


def records(scale: Scale) -> list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    out = []
    for number, (key, data) in enumerate(facts(scale)):
        record = encode(Outgoing(REGISTRY_INBOUND, key, data, id_seed=f"bench/{number}"), source=SOURCE, now=now)
        out.append((REGISTRY_INBOUND.name, record.key, record.value, list(record.headers)))  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--broker", default="auto")
    args = parser.parse_args()
    scale = Scale().scaled(args.scale)
    print(f"generating facts at scale {args.scale} ...", flush=True)
    prepared = records(scale)
    total = len(prepared)
    with bench_stack(services=("registry",), broker=args.broker) as stack:
        url = stack.group.url("registry")
        started = time.perf_counter()
        produce_seconds = asyncio.run(send_all(stack.bootstrap, prepared, "publishing facts", window=5000))
        wait_for(lambda: consumed(url, "registry", REGISTRY_INBOUND.name) >= total, timeout=3600)
        wait_for(lambda: scrape(url).get("hoctap_registry_outbox_backlog", 1) == 0, timeout=600)
        elapsed = time.perf_counter() - started
        pid = next(p.pid for name, p in stack.supervisor.children if name == "registry")
        result = {
            "broker": stack.broker_name,
            "facts": total,
            "registry_events_per_s": round(total / elapsed, 1),
            "produce_events_per_s": round(total / produce_seconds, 1),
            "seconds": round(elapsed, 1),
            "registry_max_rss_mb": round(rss_mb(pid), 1),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
