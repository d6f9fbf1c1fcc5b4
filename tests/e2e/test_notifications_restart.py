"""The notifications service as a process, stopped or killed while an SMTP server is in the middle
of receiving an alert: nothing is lost; a graceful stop sends nothing twice; a kill resends at
most the one e-mail in flight, with the same Message-ID."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from shared.devstack.demo import publish, write_readers
from shared.devstack.processes import Supervisor, free_port
from shared.devstack.services import REPO, ServiceGroup, service_environment
from shared.events.catalogue import METRICS_INDICATORS
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title
from shared.outbox import Outgoing, encode
from shared.testing import parse_email, random_id

AGENCIES = """
agencies:
  - {id: tinh, name: Hội Khuyến học tỉnh Trà Vinh, emails: [tinh@example.vn], areas: ["84"]}
  - {id: hoa-loi, name: Hội Khuyến học xã Hòa Lợi, emails: [hoaloi@example.vn], areas: ["29401"]}
  - {id: hoa-thuan, name: Hội Khuyến học xã Hòa Thuận, emails: [hoathuan@example.vn], areas: ["29398"]}
"""
EXPECTED = {"29401|learning_family|2024|missed", "29398|learning_family|2024|missed", "84|learning_family|2024|missed",
            "84|learning_family|2024|digest:missed"}


class SlowSmtpHandler:
    """Keeps every message as soon as it has it, then pauses before answering 250: the window in
    which the server has the message and the sender does not know yet."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.messages: list[Any] = []
        self.receiving = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append(parse_email(envelope.original_content or envelope.content))
        self.receiving.set()
        await asyncio.sleep(self.pause)
        return "250 OK"


def figures() -> list[Any]:
    cells = []
    for year, counts in ((2023, (72, 72)), (2024, (75, 70))):
        for code, recognised in zip(("29401", "29398"), counts, strict=True):
            cells.append(IndicatorChanged(title=Title.LEARNING_FAMILY, year=year, level=Level.COMMUNE, area_code=code,
                                          area_name=f"Xã {code}", parent_code="84", total=120, registered=110, recognised=recognised,
                                          ratio_all=None, ratio_registered=None, revision=1))
        cells.append(IndicatorChanged(title=Title.LEARNING_FAMILY, year=year, level=Level.PROVINCE, area_code="84",
                                      area_name="Tỉnh Trà Vinh", parent_code=None, total=240, registered=220, recognised=sum(counts),
                                      ratio_all=None, ratio_registered=None, revision=1))
    now = datetime.now(UTC)
    return [encode(Outgoing(METRICS_INDICATORS, c.area_code, c, id_seed=f"{c.area_code}/{c.year}"), source="/hoctap/metrics", now=now)
            for c in cells]


@pytest.fixture
def notifications(infrastructure, topic_prefix: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    smtp = SlowSmtpHandler(pause=2.0)
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    (tmp_path / "agencies.yaml").write_text(AGENCIES, encoding="utf-8")
    port = free_port()
    env = service_environment(
        database_url=infrastructure.database_url, bootstrap=infrastructure.bootstrap,
        idempotent_producer=infrastructure.idempotent_producer, smtp_port=controller.port,
        ports={"registry": 0, "recognition": 0, "metrics": 0, "notifications": port}, topic_prefix=topic_prefix,
        extra={"NOTIFICATIONS_DATABASE_SCHEMA": f"notifications_{random_id('r')}", "HOCTAP_ENVIRONMENT": "test",
               "NOTIFICATIONS_AGENCIES_FILE": str(tmp_path / "agencies.yaml"), "NOTIFICATIONS_SETTLE_SECONDS": "1",
               "NOTIFICATIONS_EVALUATE_INTERVAL_SECONDS": "0.5", "NOTIFICATIONS_DELIVER_INTERVAL_SECONDS": "0.2",
               "NOTIFICATIONS_MAX_EMAILS_PER_MINUTE": "6000",
               "NOTIFICATIONS_READERS_FILE": str(write_readers(tmp_path / "readers.yaml", "e2e-reader-token"))},
    )
    _migrate_notifications(env)
    supervisor = Supervisor()
    group = ServiceGroup(supervisor, env, tmp_path / "logs", {"notifications": port})
    try:
        yield group, supervisor, smtp, infrastructure.bootstrap, topic_prefix
    finally:
        supervisor.stop_all(timeout=30)
        controller.stop()


def _migrate_notifications(env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "services.notifications", "migrate"], env=env, cwd=REPO, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()[-2000:]


def start(group: ServiceGroup) -> None:
    group.start("notifications")
    group.wait_ready(90, "notifications")


def eventually(check, timeout: float = 90.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def sent_keys(smtp: SlowSmtpHandler) -> Counter[str]:
    return Counter(m["X-Hoctap-Alert-Key"] for m in smtp.messages)


def test_a_graceful_stop_mid_send_finishes_and_records_that_send_and_the_restart_sends_the_rest_once(notifications) -> None:  # type: ignore[no-untyped-def]
    group, supervisor, smtp, bootstrap, prefix = notifications
    start(group)
    asyncio.run(publish(bootstrap, figures(), topic_prefix=prefix))
    assert smtp.receiving.wait(60), "no e-mail reached the SMTP server"

    group.stop("notifications", timeout=30)  # SIGTERM while the server is inside DATA
    assert len(smtp.messages) == 1, "the send in progress completed before the process exited"
    smtp.pause = 0.1
    start(group)
    eventually(lambda: set(sent_keys(smtp)) == EXPECTED, what="every e-mail")
    time.sleep(2)  # a resend would arrive now
    assert sent_keys(smtp) == Counter(EXPECTED)
    alerts = httpx.get(group.url("notifications") + "/v1/alerts", params={"status": "sent"},
                       headers={"Authorization": "Bearer e2e-reader-token"}).json()
    assert {a["alert_key"] for a in alerts} == EXPECTED


def test_a_kill_mid_send_loses_nothing_and_resends_only_the_email_in_flight_with_its_message_id(notifications) -> None:  # type: ignore[no-untyped-def]
    group, supervisor, smtp, bootstrap, prefix = notifications
    start(group)
    asyncio.run(publish(bootstrap, figures(), topic_prefix=prefix))
    assert smtp.receiving.wait(60), "no e-mail reached the SMTP server"

    [(_, process)] = supervisor.children
    os.killpg(process.pid, signal.SIGKILL)  # the server still accepts the message after the sender is gone
    process.wait(10)
    supervisor.children.clear()
    assert len(smtp.messages) == 1
    smtp.pause = 0.1
    start(group)
    eventually(lambda: sum(sent_keys(smtp).values()) >= len(EXPECTED) + 1, what="every e-mail")
    time.sleep(2)

    counts = sent_keys(smtp)
    assert set(counts) == EXPECTED, "nothing lost"
    [(twice, _)] = [(k, n) for k, n in counts.items() if n == 2]
    assert sum(counts.values()) == len(EXPECTED) + 1, "only the e-mail in flight went twice"
    first, second = [m for m in smtp.messages if m["X-Hoctap-Alert-Key"] == twice]
    assert first["Message-ID"] == second["Message-ID"], "receivers can drop the resend"
    metrics = httpx.get(group.url("notifications") + "/metrics").text
    assert 'hoctap_notifications_emails_total{outcome="resent_after_interruption"} 1.0' in metrics
