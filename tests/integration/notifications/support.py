"""A notifications stack on the real PostgreSQL and a real SMTP server (aiosmtpd), with a clock
the test moves: the real stores, queue and mailer, without Kafka (figures go in through the
consumer's handler and unit of work)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications.adapters.db import ALERTS, OUTBOX, VERDICTS
from services.notifications.adapters.prometheus import NotificationMetrics
from services.notifications.adapters.queue import SqlMailQueue
from services.notifications.adapters.smtp import SmtpMailer
from services.notifications.adapters.stores import EvaluationSqlUnitOfWork, NotificationsSqlUnitOfWork
from services.notifications.app import build_policy
from services.notifications.domain.agencies import Directory
from services.notifications.handlers import Deliverer, Evaluator, RetryPolicy, on_indicators
from services.notifications.settings import NotificationsSettings
from shared.db import create_engine
from shared.devstack.processes import free_port
from shared.events.catalogue import METRICS_INDICATORS
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title
from shared.testing import CollectingSmtpHandler, received


class Clock:
    def __init__(self, now: datetime = datetime(2025, 1, 10, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def indicator(area: str, year: int, recognised: int, *, total: int = 120, level: Level = Level.COMMUNE,
              parent: str | None = "84", revision: int = 1, name: str | None = None, **extra: Any) -> IndicatorChanged:
    return IndicatorChanged(
        title=extra.pop("title", Title.LEARNING_FAMILY), year=year, level=level, area_code=area,
        area_name=name or f"Xã {area}", parent_code=parent, total=total, registered=extra.pop("registered", total - 10),
        recognised=recognised, assessed=extra.pop("assessed", total - 10), ratio_all=round(100 * recognised / total, 2),
        ratio_registered=None, rule_versions=("2016.1",), revision=revision, **extra,
    )


def family_year(year: int, communes: dict[str, int], revision: int = 1) -> list[IndicatorChanged]:
    """The communes' cells for one year and the province's, 120 households each."""
    cells = [indicator(code, year, got, revision=revision) for code, got in communes.items()]
    cells.append(indicator("84", year, sum(communes.values()), total=120 * len(communes), level=Level.PROVINCE,
                           parent=None, name="Tỉnh Trà Vinh", revision=revision))
    return cells


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, CollectingSmtpHandler]]:
    handler = CollectingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@dataclass
class Stack:
    settings: NotificationsSettings
    engine: AsyncEngine
    clock: Clock
    evaluator: Evaluator
    deliverer: Deliverer

    async def receive(self, *cells: IndicatorChanged) -> None:
        async with NotificationsSqlUnitOfWork(self.engine, OUTBOX, "unused") as uow:
            await on_indicators([received(METRICS_INDICATORS, c.area_code, c) for c in cells], uow, self.clock())
            await uow.commit()

    async def deliver_all(self) -> int:
        sent = 0
        while await self.deliverer.deliver_one():
            sent += 1
        return sent

    async def alerts(self) -> list[Any]:
        async with self.engine.connect() as connection:
            return list(await connection.execute(sa.select(ALERTS).order_by(ALERTS.c.id)))

    async def verdict(self, area: str, year: int) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(sa.select(VERDICTS).where(VERDICTS.c.area_code == area, VERDICTS.c.year == year))).one()

    async def close(self) -> None:
        await self.engine.dispose()


def agencies_file(tmp_path: Any, document: str) -> Any:
    path = tmp_path / "agencies.yaml"
    path.write_text(document, encoding="utf-8")
    return path


DEMO_AGENCIES = """
agencies:
  - {id: tinh, name: Hội Khuyến học tỉnh Trà Vinh, emails: [tinh@example.vn], areas: ["84"]}
  - {id: hoa-loi, name: Hội Khuyến học xã Hòa Lợi, emails: [hoaloi@example.vn], areas: ["29401"]}
  - {id: hoa-thuan, name: Hội Khuyến học xã Hòa Thuận, emails: [hoathuan@example.vn], language: en, areas: ["29398"]}
"""


async def make_stack(make_settings: Any, tmp_path: Any, smtp_port: int, *, clock: Clock | None = None,
                     directory: str = DEMO_AGENCIES, variant: str = "", schema_of: NotificationsSettings | None = None,
                     **overrides: Any) -> Stack:
    """A stack on a fresh schema, or on `schema_of`'s (a second replica)."""
    values = {"smtp_port": smtp_port, "settle_seconds": 60, "message_id_domain": "hoctap.test",
              "agencies_file": agencies_file(tmp_path, directory), **overrides}
    if schema_of is not None:
        settings = schema_of.model_copy(update=values)
    else:
        settings = await make_settings(NotificationsSettings, variant, **values)
    clock = clock or Clock()
    engine = create_engine(settings)
    metrics = NotificationMetrics(CollectorRegistry())
    deliverer = Deliverer(SqlMailQueue(engine), SmtpMailer(settings), metrics=metrics,
                          retry=RetryPolicy(30, 3600, timedelta(hours=72)), per_minute=6000, interval=0.05, clock=clock)
    evaluator = Evaluator(lambda: EvaluationSqlUnitOfWork(engine, OUTBOX, "unused", schema=settings.database_schema),
                          build_policy(settings), metrics=metrics, interval=0.05, clock=clock)
    return Stack(settings, engine, clock, evaluator, deliverer)


__all__ = ["Clock", "Directory", "Stack", "family_year", "indicator", "make_stack", "smtp_server"]
