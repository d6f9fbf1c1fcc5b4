"""Indicator cells as Prometheus gauges, read from the database at scrape time.

Reading the table (not an in-process cache of what this replica consumed) means every replica
answers the same, whichever partitions it holds.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ..domain.cells import Cell

LABELS = ["title", "level", "area_code", "year"]


class IndicatorCollector(Collector):
    def __init__(self, load: Callable[[], Awaitable[Sequence[tuple[Cell, str | None]]]], max_age_seconds: float) -> None:
        self._load = load
        self._max_age = max_age_seconds
        self._cells: Sequence[tuple[Cell, str | None]] = ()
        self._loaded_at = float("-inf")

    async def refresh(self) -> None:
        if time.monotonic() - self._loaded_at >= self._max_age:
            self._cells = await self._load()
            self._loaded_at = time.monotonic()

    def describe(self) -> list[GaugeMetricFamily]:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ratio = GaugeMetricFamily(
            "hoctap_title_recognised_ratio",
            "Recognised entities / all entities in the area (0-1): the KPI the targets use.",
            labels=LABELS,
        )
        ratio_registered = GaugeMetricFamily(
            "hoctap_title_recognised_registered_ratio",
            "Recognised entities / entities registered for the title (0-1).",
            labels=LABELS,
        )
        total = GaugeMetricFamily("hoctap_title_entities", "All entities of the title's kind in the area.", labels=LABELS)
        registered = GaugeMetricFamily(
            "hoctap_title_registered_entities", "Entities registered for the title this year.", labels=LABELS
        )
        recognised = GaugeMetricFamily("hoctap_title_recognised_entities", "Entities recognised this year.", labels=LABELS)
        for cell, _name in self._cells:
            labels = [cell.title.value, cell.level.value, cell.area_code, str(cell.year)]
            counts = cell.counts
            total.add_metric(labels, counts.total)
            registered.add_metric(labels, counts.registered)
            recognised.add_metric(labels, counts.recognised)
            if counts.total:
                ratio.add_metric(labels, counts.recognised / counts.total)
            if counts.registered:
                ratio_registered.add_metric(labels, counts.recognised / counts.registered)
        yield from (ratio, ratio_registered, total, registered, recognised)
