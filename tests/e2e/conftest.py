"""The clean run every fault and scaling test is compared with (started once per session)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.devstack.brokers import apache_kafka_available
from shared.devstack.demo import Demo, calendar_for
from tests.pipeline import Pipeline, inbound

SETTLE = "20"  # notifications' quiet period: longer than any restart in these tests stalls the figures


def demo_and_calendar() -> tuple[Demo, dict[str, str]]:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    if (today.month, today.day) == (12, 31):
        pytest.skip("no interim window can contain 31 December")
    return Demo.load().relative_to(today.year), calendar_for(today)


def pipeline_settings(calendar: dict[str, str]) -> dict[str, str]:
    return calendar | {
        "NOTIFICATIONS_SETTLE_SECONDS": SETTLE,
        "NOTIFICATIONS_EVALUATE_INTERVAL_SECONDS": "1",
        "NOTIFICATIONS_DELIVER_INTERVAL_SECONDS": "1",
    }


def finish(pipeline: Pipeline) -> None:
    """Settle the pipeline, let notifications judge what settled, and settle again."""
    pipeline.settle(timeout=600)
    time.sleep(int(SETTLE) + 5)
    pipeline.settle(timeout=300)


def outcome(pipeline: Pipeline) -> dict[str, Any]:
    return {"cells": pipeline.cells(), "decisions": pipeline.decisions(), "emails": pipeline.emails(),
            "message_ids": pipeline.message_ids()}


def assert_same(what: str, got: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> None:
    """Equal row lists, or a failure naming every row only one side has (for diagnosis)."""
    if got == expected:
        return
    extra, missing = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
    lines = [f"{what} differ from the clean run: {len(missing)} missing or changed, {len(extra)} extra or changed"]
    lines += [f"  clean:  {row}" for row in missing[:20]] + [f"  faulty: {row}" for row in extra[:20]]
    raise AssertionError("\n".join(lines))


@pytest.fixture(scope="session")
def clean_run() -> Any:
    """The demo province (four years, every title's pipeline, four alert e-mails) run once with
    nothing going wrong, on its own Apache Kafka, PostgreSQL and SMTP server."""
    if not apache_kafka_available():
        pytest.skip("the fault and scaling runs restart Apache Kafka on its log directory")
    demo, calendar = demo_and_calendar()
    records = inbound(demo.area_facts() + demo.household_facts())
    with Pipeline.running(broker="kafka", extra=pipeline_settings(calendar)) as pipeline:
        pipeline.produce(records)
        finish(pipeline)
        return {"records": records, **outcome(pipeline)}
