"""Verdicts: did an area's share grow by the target over the previous year?"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from shared.events.vocabulary import Level, Title

from shared.programme import Target


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class Figures:
    """One area's indicator for one title and year, as notifications stores it."""

    title: Title
    year: int
    level: Level
    area_code: str
    area_name: str | None
    total: int
    registered: int
    recognised: int
    revision: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.recognised / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class Assessment:
    verdict: Verdict
    current: Figures
    previous: Figures
    growth_points: float
    target_points: float
    required_percent: float
    shortfall_entities: int

    @property
    def alert_key(self) -> str:
        c = self.current
        return f"{c.area_code}|{c.title.value}|{c.year}|{self.verdict.value}"


def assess_growth(current: Figures, previous: Figures, target: Target) -> Assessment | None:
    """Compare this year's share with last year's plus the target; None without both figures."""
    if current.percent is None or previous.percent is None:
        return None
    if target.growth_min_points is not None:
        required = min(100.0, previous.percent + target.growth_min_points)
        target_points = target.growth_min_points
    else:
        required = target.hold_at_least_percent or 0.0
        target_points = 0.0
    growth = round(current.percent - previous.percent, 2)
    met = current.percent + 1e-9 >= required
    needed = math.ceil(required / 100.0 * current.total - 1e-9)
    return Assessment(
        verdict=Verdict.MET if met else Verdict.MISSED,
        current=current,
        previous=previous,
        growth_points=growth,
        target_points=target_points,
        required_percent=round(required, 2),
        shortfall_entities=max(0, needed - current.recognised),
    )
