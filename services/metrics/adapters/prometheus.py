"""Indicator cells as Prometheus gauges, read from the database at scrape time.

Reading the table (not an in-process cache of what this replica consumed) means every replica
answers the same, whichever partitions it holds. Only the current hierarchy is exported, at the
configured levels; a cell without enough data exports its counts and `data_insufficient 1`, never
a ratio.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from shared.events.vocabulary import Level, Title

from ..domain.cells import Cell
from ..domain.indicators import INSUFFICIENT
from ..domain.rules import MetricsRules

LABELS = ["title", "level", "area_code", "year"]

# (name, help, value of a cell or None to leave the series out)
CELL_GAUGES: tuple[tuple[str, str, Callable[[Cell], float | None]], ...] = (
    (
        "hoctap_title_recognised_ratio",
        "Recognised entities / all entities in the area (0-1): the KPI the targets use. Absent when data are insufficient.",
        lambda c: c.counts.recognised / c.counts.total if c.figures.ratio_all is not None else None,
    ),
    (
        "hoctap_title_recognised_registered_ratio",
        "Recognised entities / entities registered for the title (0-1). Absent when data are insufficient.",
        lambda c: (
            c.counts.recognised / c.counts.registered
            if c.figures.ratio_registered is not None
            else None
        ),
    ),
    (
        "hoctap_title_entities",
        "All entities of the title's kind in the area (the denominator).",
        lambda c: c.counts.total,
    ),
    (
        "hoctap_title_registered_entities",
        "Entities registered for the title this year.",
        lambda c: c.counts.registered,
    ),
    (
        "hoctap_title_assessed_entities",
        "Entities with a decision for the year.",
        lambda c: c.counts.assessed,
    ),
    (
        "hoctap_title_recognised_entities",
        "Entities recognised this year.",
        lambda c: c.counts.recognised,
    ),
    (
        "hoctap_title_data_insufficient",
        "1 when the area's data cannot support a percentage (see the API for the reason), else 0.",
        lambda c: 1.0 if c.figures.data_status == INSUFFICIENT else 0.0,
    ),
    (
        "hoctap_title_recognised_ratio_change",
        "recognised_ratio minus the previous year's, in the same hierarchy (0-1 scale).",
        lambda c: c.figures.change_points / 100 if c.figures.change_points is not None else None,
    ),
    (
        "hoctap_title_target_ratio",
        "This year's target: last year's ratio plus the programme's minimum growth, or the level to hold.",
        lambda c: c.figures.target_percent / 100 if c.figures.target_percent is not None else None,
    ),
    (
        "hoctap_title_projected_goal_year_ratio",
        "The ratio expected in the programme's goal year if the pace since its first year continues.",
        lambda c: (
            c.figures.projected_goal_year_percent / 100
            if c.figures.projected_goal_year_percent is not None
            else None
        ),
    ),
)


class MetricsServiceMetrics:
    """What only the metrics service exports about itself (the shared ops metrics come from the runtime)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.read_seconds = Gauge(
            "hoctap_metrics_scrape_read_seconds",
            "Time the last scrape took to read the cells.",
            registry=registry,
        )
        self.exported_cells = Gauge(
            "hoctap_metrics_exported_cells", "Cells the last scrape exported.", registry=registry
        )
        self.insufficient_cells = Gauge(
            "hoctap_metrics_insufficient_cells",
            "Exported cells whose data are insufficient, by level.",
            ["level"],
            registry=registry,
        )
        for level in Level:
            self.insufficient_cells.labels(level.value)


class IndicatorCollector(Collector):
    def __init__(
        self,
        load: Callable[[], Awaitable[Sequence[Cell]]],
        max_age_seconds: float,
        rules: MetricsRules,
        own: MetricsServiceMetrics | None = None,
    ) -> None:
        self._load = load
        self._max_age = max_age_seconds
        self._rules = rules
        self._own = own
        self._cells: Sequence[Cell] = ()
        self._loaded_at = float("-inf")

    async def refresh(self) -> None:
        if time.monotonic() - self._loaded_at < self._max_age:
            return
        started = time.perf_counter()
        self._cells = await self._load()
        self._loaded_at = time.monotonic()
        if self._own is not None:
            self._own.read_seconds.set(time.perf_counter() - started)
            self._own.exported_cells.set(len(self._cells))
            for level in Level:
                self._own.insufficient_cells.labels(level.value).set(
                    sum(
                        1
                        for c in self._cells
                        if c.key.level == level and c.figures.data_status == INSUFFICIENT
                    )
                )

    def describe(self) -> list[GaugeMetricFamily]:
        return []

    def _goals(self) -> list[tuple[str, str, float]]:
        goals = []
        for title in Title:
            target = self._rules.policy(title).target
            if target is not None:
                goals.append((title.value, str(target.goal_year), target.goal_percent / 100))
        return goals

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The families, for prometheus_client (tests, and anyone registering the collector)."""
        families = [
            (GaugeMetricFamily(name, text, labels=LABELS), value)
            for name, text, value in CELL_GAUGES
        ]
        for cell in self._cells:
            key = cell.key
            labels = [key.title.value, key.level.value, key.area_code, str(key.year)]
            for family, value in families:
                number = value(cell)
                if number is not None:
                    family.add_metric(labels, number)
        yield from (family for family, _ in families)
        goal = GaugeMetricFamily(GOAL, GOAL_HELP, labels=["title", "goal_year"])
        for title, goal_year, ratio in self._goals():
            goal.add_metric([title, goal_year], ratio)
        yield goal

    def render(self) -> bytes:
        """The text `generate_latest` would make of `collect()`, byte for byte, several times faster.

        A province's cells are tens of thousands of samples; formatting each through
        prometheus_client took most of a second, which a scrape cannot afford. Label values are
        codes and enum values (no characters to escape), but they are escaped all the same.
        """
        labels = [
            f'{{area_code="{_escape(c.key.area_code)}",level="{c.key.level.value}",title="{c.key.title.value}",'
            f'year="{c.key.year}"}}'
            for c in self._cells
        ]
        lines: list[str] = []
        for name, text, value in CELL_GAUGES:
            lines.append(f"# HELP {name} {_escape_help(text)}\n# TYPE {name} gauge\n")
            for cell, label in zip(self._cells, labels, strict=True):
                number = value(cell)
                if number is not None:
                    lines.append(f"{name}{label} {floatToGoString(number)}\n")
        lines.append(f"# HELP {GOAL} {_escape_help(GOAL_HELP)}\n# TYPE {GOAL} gauge\n")
        for title, goal_year, ratio in self._goals():
            lines.append(
                f'{GOAL}{{goal_year="{goal_year}",title="{title}"}} {floatToGoString(ratio)}\n'
            )
        return "".join(lines).encode()


GOAL = "hoctap_title_goal_ratio"
GOAL_HELP = "The programme's goal for the title (0-1), reached by goal_year."


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")
