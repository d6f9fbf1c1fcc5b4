"""IndicatorChanged: one event per cell whose shown figures changed, keyed by area code."""

from __future__ import annotations

from collections.abc import Iterable

from shared.events.catalogue import METRICS_INDICATORS
from shared.events.metrics import IndicatorChanged
from shared.outbox import Outgoing

from ..domain.cells import Cell


def indicator_event(cell: Cell) -> IndicatorChanged:
    key, counts, figures = cell.key, cell.counts, cell.figures
    return IndicatorChanged(
        title=key.title,
        year=key.year,
        hierarchy=key.hierarchy.value,  # type: ignore[arg-type]
        level=key.level,
        area_code=key.area_code,
        area_name=cell.area_name,
        parent_code=cell.parent_code,
        total=counts.total,
        registered=counts.registered,
        recognised=counts.recognised,
        assessed=counts.assessed,
        ratio_all=figures.ratio_all,
        ratio_registered=figures.ratio_registered,
        data_status=figures.data_status,  # type: ignore[arg-type]
        data_status_reason=figures.data_status_reason,
        change_points=figures.change_points,
        goal_percent=figures.goal_percent,
        goal_year=figures.goal_year,
        projected_goal_year_percent=figures.projected_goal_year_percent,
        rule_versions=cell.tally.rule_versions,
        revision=cell.revision,
    )


def indicator_events(cells: Iterable[Cell]) -> list[Outgoing]:
    return [
        Outgoing(
            topic=METRICS_INDICATORS,
            key=cell.key.area_code,
            data=indicator_event(cell),
            id_seed="metrics/" + "/".join(str(part) for part in cell.key) + f"/{cell.revision}",
        )
        for cell in cells
    ]
