"""Keeps the latest figures of each indicator cell of the `current` hierarchy.

The `recorded` hierarchy (areas as they were before the 2025 reform) is for history; targets are
judged on today's areas, so those events are skipped. Cells carry a revision: the highest wins,
whatever order the events arrive in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.consumer import Outcome, Received
from shared.events.metrics import IndicatorChanged

from ..domain.verdicts import Figures
from ..ports import IndicatorsUnitOfWork


def figures_of(event: IndicatorChanged) -> Figures:
    return Figures(
        title=event.title,
        year=event.year,
        level=event.level,
        area_code=event.area_code,
        area_name=event.area_name,
        total=event.total,
        registered=event.registered,
        recognised=event.recognised,
        revision=event.revision,
        parent_code=event.parent_code,
        assessed=event.assessed,
        data_status=event.data_status,
        data_status_reason=event.data_status_reason,
        rule_versions=tuple(event.rule_versions),
        goal_percent=event.goal_percent,
        projected_goal_year_percent=event.projected_goal_year_percent,
    )


async def on_indicators(batch: list[Received[Any]], uow: IndicatorsUnitOfWork, now: datetime) -> Outcome:
    latest: dict[tuple[str, int, str, str], IndicatorChanged] = {}
    for item in batch:
        data: IndicatorChanged = item.data
        if data.hierarchy != "current":
            continue
        key = (data.title.value, data.year, data.level.value, data.area_code)
        if key not in latest or latest[key].revision < data.revision:
            latest[key] = data
    await uow.indicators.save_latest([figures_of(d) for d in latest.values()], now)
    return Outcome()
