"""The evaluation loop: one pass every `interval`, a fresh unit of work each time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from ..adapters.prometheus import NotificationMetrics
from ..ports import EvaluationUnitOfWork
from .evaluation import Policy, Report, evaluate

log = logging.getLogger(__name__)


class Evaluator:
    def __init__(
        self,
        unit_of_work: Callable[[], AbstractAsyncContextManager[EvaluationUnitOfWork]],
        policy: Policy,
        *,
        metrics: NotificationMetrics,
        interval: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_notices: Callable[[], None] | None = None,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.policy = policy
        self.metrics = metrics
        self.interval = interval
        self.clock = clock
        self.on_notices = on_notices

    async def run_once(self) -> Report:
        async with self.unit_of_work() as uow:
            report = await evaluate(uow, self.clock(), self.policy)
        for verdict, count in report.verdicts.items():
            self.metrics.verdicts.labels(verdict.value).inc(count)
        for notice in report.notices:
            self.metrics.alerts.labels(notice.kind.value, notice.verdict.value, notice.status.value).inc()
        if not report.locked_out:
            self.metrics.last_evaluation.set(self.clock().timestamp())
        if report.to_send and self.on_notices:
            self.on_notices()
        return report

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("evaluation failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self.interval)
