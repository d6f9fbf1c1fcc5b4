"""`python -m shared.devstack run`: the whole system, embedded, with the demo province (`make run`).

Also `kafka-jars` (fetch Apache Kafka from Maven Central) and `stack` (infrastructure only, for
running services by hand).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from shared.events.catalogue import TOPICS
from shared.kafka import ensure_topics

from .brokers import choose_broker, fetch_kafka_jars
from .demo import Demo, calendar_for, inbound_records, progress_bar, publish, summary, wait_until, write_readers
from .postgres import PostgresServer
from .processes import Supervisor, free_port, port_open, wait_for_port
from .services import DEFAULT_PORTS, REPO, ServiceGroup, migrate, service_environment

VAR = Path(os.environ.get("HOCTAP_VAR", REPO / "var"))


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    busy = [f"{name} ({port})" for name, port in DEFAULT_PORTS.items() if port_open(port)]
    if busy:
        print(f"ports already in use: {', '.join(busy)} - is another `make run` still running?", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _raise_interrupt)
    logs, mail = VAR / "logs", VAR / "mail"
    logs.mkdir(parents=True, exist_ok=True)
    mail.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor()
    postgres: PostgresServer | None = None
    started = time.monotonic()
    try:
        print("starting PostgreSQL ...", flush=True)
        postgres = PostgresServer(VAR / "postgres", durable=True).start()
        database_url = postgres.create_database("hoctap")
        broker = choose_broker(args.broker, VAR / "broker", supervisor)
        print(f"starting {broker.name} ...", flush=True)
        broker.start()
        smtp_port = free_port()
        sink = supervisor.start(
            "smtp-sink",
            [sys.executable, "-m", "shared.devstack.smtp_sink", "--dir", str(mail), "--port", str(smtp_port)],
            log=logs / "smtp-sink.log",
            cwd=REPO,
        )
        wait_for_port(smtp_port, 15, sink, "SMTP sink")
        asyncio.run(ensure_topics(broker.bootstrap, TOPICS))

        demo = Demo.load().relative_to(_today().year)
        agencies = demo.write_agencies(VAR / "demo" / "agencies.yaml")
        token = _secret(VAR / "demo" / "registry-token")
        publishers = demo.write_publishers(VAR / "demo" / "publishers.yaml", token)
        readers = write_readers(VAR / "demo" / "readers.yaml", _secret(VAR / "demo" / "reader-token"))
        env = service_environment(
            database_url=database_url,
            bootstrap=broker.bootstrap,
            idempotent_producer=broker.idempotent_producer,
            smtp_port=smtp_port,
            extra={
                "HOCTAP_ENVIRONMENT": "dev",
                "REGISTRY_PUBLISHERS_FILE": str(publishers),
                "HOCTAP_READERS_FILE": str(readers),
                "REGISTRY_NATIONAL_ID_KEY": _secret(VAR / "demo" / "national-id.key"),
                "NOTIFICATIONS_AGENCIES_FILE": str(agencies),
                "NOTIFICATIONS_SETTLE_SECONDS": "5",
                "NOTIFICATIONS_MAX_EMAILS_PER_MINUTE": "600",
                **calendar_for(_today()),
                "NOTIFICATIONS_EVALUATE_INTERVAL_SECONDS": "2",
                "NOTIFICATIONS_DELIVER_INTERVAL_SECONDS": "1",
            },
        )
        print("migrating the four schemas ...", flush=True)
        migrate(env, logs)
        services = ServiceGroup(supervisor, env, logs)
        print("starting registry, recognition, metrics, notifications ...", flush=True)
        services.start()
        services.wait_ready(90)
        load_demo(demo, services, broker.bootstrap)

        indicators = httpx.get(services.url("metrics") + "/v1/indicators", params={"title": "learning_family"}).json()
        alerts = httpx.get(services.url("notifications") + "/v1/alerts", headers=_reader()).json()
        print(summary(demo, [i for i in indicators if i["level"] in ("commune", "province")], alerts, mail_dir=mail))
        print(
            f"\nReady in {time.monotonic() - started:.0f} s. Look at:\n"
            f"  metrics       http://127.0.0.1:{DEFAULT_PORTS['metrics']}/metrics   (hoctap_title_recognised_ratio)\n"
            f"  indicators    http://127.0.0.1:{DEFAULT_PORTS['metrics']}/v1/indicators\n"
            f"  alerts        http://127.0.0.1:{DEFAULT_PORTS['notifications']}/v1/alerts\n"
            f"  API docs      http://127.0.0.1:8081/docs ... :8084/docs\n"
            f"  registry API  Authorization: Bearer {token}\n"
            f"  readers       {_reader()['Authorization']}   (recognition's decisions, notifications' alerts)\n"
            f"  e-mails       {mail}/\n"
            f"  logs          {logs}/\n"
            f"  PostgreSQL    {database_url}   Kafka ({broker.name}) {broker.bootstrap}\n"
            "Data is kept in var/ between runs (`make clean` starts over). Ctrl-C stops everything.",
            flush=True,
        )
        while True:
            for name, process in supervisor.children:
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; see {logs}/{name}.log", file=sys.stderr)
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        supervisor.stop_all(timeout=30)
        if postgres is not None:
            postgres.stop()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        print("stopped: no process of hoctap is left running.", flush=True)


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _secret(path: Path) -> str:
    """A random secret kept in var/ so it survives restarts (the HMAC of national IDs must)."""
    import secrets

    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _reader() -> dict[str, str]:
    """The demo's reader token, for the routes of recognition and notifications that need one."""
    return {"Authorization": f"Bearer {_secret(VAR / 'demo' / 'reader-token')}"}


def load_demo(demo: Demo, services: ServiceGroup, bootstrap: str) -> None:
    print("loading the demo province through registry.inbound.v1:", flush=True)
    asyncio.run(publish(bootstrap, inbound_records(demo.area_facts()), progress=progress_bar("administrative units")))
    last_hamlet = demo.hamlet_codes()[-1]
    token = _secret(VAR / "demo" / "registry-token")
    wait_until(
        lambda: httpx.get(f"{services.url('registry')}/v1/administrative-units/{last_hamlet}",
                          headers={"Authorization": f"Bearer {token}"}).status_code == 200,
        60,
        "the registry to record the hierarchy",
    )
    asyncio.run(publish(bootstrap, inbound_records(demo.household_facts()), progress=progress_bar("households and evidence")))
    expected = demo.expected()
    show = progress_bar("decisions reflected in metrics")

    def reflected() -> bool:
        cells = httpx.get(f"{services.url('metrics')}/v1/indicators", params={"title": "learning_family"}).json()
        got = {(c["area_code"], c["year"]): (c["total"], c["registered"], c["recognised"]) for c in cells}
        done = sum(1 for key, value in expected.items() if got.get(key) == value)
        show(done, len(expected))
        return done == len(expected)

    wait_until(reflected, 120, "the metrics to reflect every decision")
    print("  waiting for the verdicts and e-mails ...", flush=True)

    def delivered() -> bool:
        alerts = httpx.get(services.url("notifications") + "/v1/alerts", headers=_reader()).json()
        return any(a["status"] == "sent" for a in alerts) and not any(a["status"] == "pending" for a in alerts)

    wait_until(delivered, 90, "the alert e-mails")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="the whole system with the demo province (make run)")
    run_parser.add_argument("--broker", choices=["tansu", "kafka", "auto"], default=os.environ.get("HOCTAP_BROKER", "tansu"))
    commands.add_parser("kafka-jars", help="fetch the Apache Kafka jars from Maven Central")
    args = parser.parse_args()
    if args.command == "kafka-jars":
        print(fetch_kafka_jars())
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
