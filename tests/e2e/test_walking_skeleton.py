"""The four services as processes on the real broker, PostgreSQL and an SMTP server."""

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from shared.devstack.demo import Demo, inbound_records, publish, write_readers
from shared.devstack.processes import Supervisor, free_port
from shared.devstack.services import SERVICES, ServiceGroup, migrate, service_environment
from shared.testing import CollectingSmtpHandler, random_id


def eventually(check, timeout: float = 90.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return
        except (httpx.HTTPError, KeyError, ValueError) as error:
            last = error
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture
def system(infrastructure, topic_prefix: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    smtp = CollectingSmtpHandler()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    year = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).year
    demo = Demo.load().relative_to(year).first_years(2)  # two closed years: one miss, one digest
    suffix = random_id("e")
    extra = {f"{s.upper()}_DATABASE_SCHEMA": f"{s}_{suffix}" for s in SERVICES}
    extra |= {
        "REGISTRY_PUBLISHERS_FILE": str(demo.write_publishers(tmp_path / "publishers.yaml", "e2e-token")),
        "REGISTRY_NATIONAL_ID_KEY": "e2e-national-id-key-0123456789",
        "HOCTAP_READERS_FILE": str(write_readers(tmp_path / "readers.yaml", "e2e-reader-token")),
        "NOTIFICATIONS_AGENCIES_FILE": str(demo.write_agencies(tmp_path / "agencies.yaml")),
        "NOTIFICATIONS_SETTLE_SECONDS": "3",
        "NOTIFICATIONS_EVALUATE_INTERVAL_SECONDS": "1",
        "NOTIFICATIONS_DELIVER_INTERVAL_SECONDS": "1",
        "HOCTAP_ENVIRONMENT": "test",
    }
    ports = {s: free_port() for s in SERVICES}
    env = service_environment(
        database_url=infrastructure.database_url,
        bootstrap=infrastructure.bootstrap,
        idempotent_producer=infrastructure.idempotent_producer,
        smtp_port=controller.port,
        ports=ports,
        topic_prefix=topic_prefix,
        extra=extra,
    )
    migrate(env, tmp_path)
    supervisor = Supervisor()
    group = ServiceGroup(supervisor, env, tmp_path / "logs", ports)
    group.start()
    try:
        group.wait_ready(90)
        yield group, demo, smtp, infrastructure.bootstrap, topic_prefix
    finally:
        supervisor.stop_all(timeout=30)
        controller.stop()


def test_inbound_facts_become_decisions_ratios_and_one_alert_email(system) -> None:  # type: ignore[no-untyped-def]
    group, demo, smtp, bootstrap, prefix = system
    last = demo.years[-1]
    asyncio.run(publish(bootstrap, inbound_records(demo.area_facts(), salt=prefix), topic_prefix=prefix))
    eventually(lambda: httpx.get(f"{group.url('registry')}/v1/administrative-units/29401-03",
                                 headers={"Authorization": "Bearer e2e-token"}).status_code == 200, what="the hierarchy")
    asyncio.run(publish(bootstrap, inbound_records(demo.household_facts(), salt=prefix), topic_prefix=prefix))

    # The decision, with its explanation, for a household the demo built to fail.
    decision_url = f"{group.url('recognition')}/v1/decisions/learning_family/hh-29401-01-030/{last}"
    reader = {"Authorization": "Bearer e2e-reader-token"}
    eventually(lambda: httpx.get(decision_url, headers=reader).status_code == 200, what="a decision")
    decision = httpx.get(decision_url, headers=reader).json()
    assert decision["granted"] is False
    assert decision["rule_version"] == ("2016.1" if last <= 2024 else "2025.1")
    assert any("adults_learning" in reason for reason in decision["unmet"])

    # The ratio gauge at /metrics, once every decision is counted.
    def ratio_exported() -> bool:
        text = httpx.get(f"{group.url('metrics')}/metrics").text
        return f'hoctap_title_recognised_ratio{{area_code="29401",level="commune",title="learning_family",year="{last}"}} 0.625' in text

    eventually(ratio_exported, what="the commune ratio at /metrics")
    province = f'hoctap_title_recognised_ratio{{area_code="84",level="province",title="learning_family",year="{last}"}} 0.65'
    eventually(lambda: province in httpx.get(f"{group.url('metrics')}/metrics").text, what="the province ratio at /metrics")
    text = httpx.get(f"{group.url('metrics')}/metrics").text
    assert 'level="hamlet"' not in text.split("# HELP hoctap_title_recognised_ratio")[1].split("# HELP")[0]

    # One alert for the commune that missed, one digest for the province's agency, never a second.
    eventually(lambda: len(smtp.messages) == 2, what="the alert e-mail and the province's digest")
    time.sleep(4)
    assert len(smtp.messages) == 2
    by_key = {m["X-Hoctap-Alert-Key"]: m for m in smtp.messages}
    message = by_key[f"29401|learning_family|{last}|missed"]
    assert message["To"] == "khuyenhoc.hoaloi@travinh.example.vn"
    assert "62,5%" in message.get_body(("plain",)).get_content()
    [digest] = [m for k, m in by_key.items() if k.endswith(f"|learning_family|{last}|digest:missed")]
    assert digest["To"] == "khuyenhoc.tinh@travinh.example.vn"
