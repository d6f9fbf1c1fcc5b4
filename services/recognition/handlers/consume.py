"""The consumer use case: every registry entity topic goes through the same handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.consumer import Outcome, Received

from ..domain.rule_book import RuleBook
from ..ports import RecognitionUnitOfWork
from .cascade import CascadeRun
from .intake import Intake
from .telemetry import RecognitionMetrics


@dataclass(frozen=True)
class RecognitionHandler:
    """Folds snapshots and evidence into recognition's projections, evaluates what they change,
    and cascades the changed decisions up (citizen -> family, unit -> clan, hamlet)."""

    rule_book: RuleBook
    metrics: RecognitionMetrics | None = None

    async def __call__(
        self, batch: list[Received[Any]], uow: RecognitionUnitOfWork, now: datetime
    ) -> Outcome:
        intake = Intake.of(batch, self.rule_book)
        run = CascadeRun(self.rule_book, uow.store)
        events = await run.run(intake)
        if self.metrics is not None:
            self.metrics.count(run.decided, cascaded=run.cascade_evaluations)
        return Outcome(events=events, dead_letters=intake.dead_letters)
