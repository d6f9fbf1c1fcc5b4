"""Benchmark: notifications at province scale, on a real PostgreSQL and a real SMTP server.

Province scale (Trà Vinh before the reform): 104 communes of 7-8 hamlets, the four titles with
targets, 2023 and 2024 (2024 judged after its cut-off, a third of the communes missing). Measured:

- judge: the first evaluation pass (every cell due: verdicts, notices, digests rendered), and an
  idle pass (nothing changed) that every replica runs every `evaluate_interval_seconds`;
- deliver: e-mails/s through the persistent queue (claim under a row lock, attempt row, SMTP send,
  record, commit), against the baseline of the same e-mails sent with plain aiosmtplib calls to
  the same server (what the durability costs).

Run: .venv/bin/python -m tests.bench.bench_notifications [--communes N] [--emails N]
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
from aiosmtpd.controller import Controller
from prometheus_client import CollectorRegistry

from services.notifications.adapters.db import OUTBOX
from services.notifications.adapters.prometheus import NotificationMetrics
from services.notifications.adapters.queue import SqlMailQueue
from services.notifications.adapters.smtp import SmtpMailer, build_message
from services.notifications.adapters.stores import EvaluationSqlUnitOfWork, NotificationsSqlUnitOfWork, SqlNoticeStore
from services.notifications.app import build_policy
from services.notifications.domain.messages import Email
from services.notifications.domain.notices import Kind, Notice, Status
from services.notifications.domain.verdicts import Figures, Verdict
from services.notifications.handlers import Deliverer, RetryPolicy, evaluate
from services.notifications.settings import NotificationsSettings
from shared.db import create_engine
from shared.devstack.postgres import PostgresServer
from shared.devstack.processes import discard_workdir, free_port
from shared.events.vocabulary import Level, Title
from shared.migrations import upgrade
from shared.testing import CollectingSmtpHandler

SERVICE = Path(__file__).resolve().parents[2] / "services" / "notifications"
NOW = datetime(2025, 1, 10, tzinfo=UTC)
TITLES = (Title.LEARNING_FAMILY, Title.LEARNING_CLAN, Title.LEARNING_COMMUNITY, Title.LEARNING_UNIT)


def province_cells(communes: int) -> list[Figures]:
    cells: list[Figures] = []
    for title in TITLES:
        for year in (2023, 2024):
            province_total = province_recognised = 0
            for n in range(communes):
                code = f"{29000 + n}"
                hamlets = 7 + n % 2
                misses = year == 2024 and n % 3 == 0
                commune_total = commune_recognised = 0
                for h in range(hamlets):
                    total = 40
                    recognised = 24 + (2 if year == 2024 and not misses else 0) + h % 3
                    cells.append(Figures(title, year, Level.HAMLET, f"{code}-{h:02d}", f"Ấp {h}", total, 36, recognised, 1, parent_code=code, assessed=36))
                    commune_total += total
                    commune_recognised += recognised
                cells.append(Figures(title, year, Level.COMMUNE, code, f"Xã {code}", commune_total, commune_total - 20, commune_recognised, 1, parent_code="84", assessed=commune_total - 20))
                province_total += commune_total
                province_recognised += commune_recognised
            cells.append(Figures(title, year, Level.PROVINCE, "84", "Tỉnh Trà Vinh", province_total, province_total - 500, province_recognised, 1, assessed=province_total - 500))
    return cells


def directory_yaml(communes: int) -> str:
    lines = ["agencies:", "  - {id: tinh, name: Tỉnh, emails: [tinh@example.vn], areas: ['84']}"]
    lines += [f"  - {{id: xa-{29000 + n}, name: Xã {29000 + n}, emails: [xa{29000 + n}@example.vn], areas: ['{29000 + n}']}}" for n in range(communes)]
    return "\n".join(lines) + "\n"


async def judge(settings: NotificationsSettings) -> dict[str, float]:
    engine = create_engine(settings)
    policy = build_policy(settings)
    cells = province_cells(settings_communes(settings))
    try:
        async with NotificationsSqlUnitOfWork(engine, OUTBOX, "bench") as uow:
            await uow.indicators.save_latest(cells, NOW - timedelta(hours=1))
            await uow.commit()
        started = time.perf_counter()
        async with EvaluationSqlUnitOfWork(engine, OUTBOX, "bench", schema=settings.database_schema) as uow:
            report = await evaluate(uow, NOW, policy)
        first = time.perf_counter() - started
        idle = []
        for _ in range(5):
            started = time.perf_counter()
            async with EvaluationSqlUnitOfWork(engine, OUTBOX, "bench", schema=settings.database_schema) as uow:
                again = await evaluate(uow, NOW, policy)
            idle.append(time.perf_counter() - started)
            assert not again.notices
        judged = sum(report.verdicts.values())
        print(f"judge: {len(cells)} cells stored, {judged} verdicts, {len(report.notices)} notices in {first:.2f} s "
              f"({judged / first:.0f} verdicts/s); idle pass {min(idle) * 1000:.1f} ms")
        return {"cells": len(cells), "verdicts": judged, "notices": len(report.notices), "first_pass_seconds": round(first, 3),
                "verdicts_per_second": round(judged / first, 1), "idle_pass_ms": round(min(idle) * 1000, 2)}
    finally:
        await engine.dispose()


def settings_communes(settings: NotificationsSettings) -> int:
    return sum(1 for line in settings.agencies_file.read_text(encoding="utf-8").splitlines() if "id: xa-" in line)


def emails(count: int, tag: str) -> list[Email]:
    text = "Kính gửi ...\n" + "Tỷ lệ Gia đình học tập ... 62,5% ...\n" * 12
    return [Email(f"{29000 + n}|learning_family|2024|{tag}", f"<{tag}{n}@bench>", f"[hoctap] Xã {n}: chưa đạt",
                  (f"xa{n}@example.vn",), text, f"<p>{text}</p>") for n in range(count)]


async def deliver(settings: NotificationsSettings, count: int) -> dict[str, float]:
    engine = create_engine(settings)
    mailer = SmtpMailer(settings)
    try:
        started = time.perf_counter()
        for email in emails(count, "baseline"):
            await aiosmtplib.send(build_message(email, sender=settings.mail_from), hostname=settings.smtp_host, port=settings.smtp_port)
        baseline = time.perf_counter() - started

        async with engine.begin() as connection:
            store = SqlNoticeStore(connection)
            for email in emails(count, "queued"):
                notice = Notice(email.alert_key, Kind.AREA, email.alert_key.split("|")[0], Level.COMMUNE, Title.LEARNING_FAMILY,
                                2024, Verdict.MISSED, None, "x", Status.PENDING, NOW)
                await store.add(notice, email)
        deliverer = Deliverer(SqlMailQueue(engine), mailer, metrics=NotificationMetrics(CollectorRegistry()),
                              retry=RetryPolicy(), per_minute=10**6, interval=1, clock=lambda: NOW + timedelta(minutes=1))
        started = time.perf_counter()
        sent = 0
        while await deliverer.deliver_one():
            sent += 1
        queued = time.perf_counter() - started
        assert sent == count
        ratio = queued / baseline
        print(f"deliver: {count} e-mails through the queue in {queued:.2f} s ({count / queued:.0f}/s); "
              f"plain aiosmtplib {baseline:.2f} s ({count / baseline:.0f}/s); queue/plain = {ratio:.2f}")
        return {"emails": count, "queue_per_second": round(count / queued, 1), "plain_per_second": round(count / baseline, 1),
                "queue_over_plain": round(ratio, 2)}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=104)
    parser.add_argument("--emails", type=int, default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hoctap-bench-notifications-"))
    postgres = PostgresServer(workdir / "postgres", durable=False).start()
    handler = CollectingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        agencies = workdir / "agencies.yaml"
        agencies.write_text(directory_yaml(args.communes), encoding="utf-8")
        settings = NotificationsSettings(database_url=postgres.create_database("bench"), database_schema="notifications_bench",
                                         smtp_port=controller.port, agencies_file=agencies, settle_seconds=60)
        upgrade(settings, SERVICE / "migrations")
        figures = {"communes": args.communes}
        figures |= asyncio.run(judge(settings))
        queue_settings = settings.model_copy(update={"database_schema": "notifications_bench_queue"})
        upgrade(queue_settings, SERVICE / "migrations")
        figures |= asyncio.run(deliver(queue_settings, args.emails))
        print(json.dumps(figures))
    finally:
        controller.stop()
        postgres.discard()
        discard_workdir(workdir)


if __name__ == "__main__":
    main()
