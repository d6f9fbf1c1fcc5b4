"""Verdicts: did an area reach this year's target (final), or is it on course to (interim)?

The share is recognised / all entities of the title's kind in the area (`ratio_all`, the
denominator of the national targets). A growth target requires last year's share plus the
minimum growth (capped at the goal by default); a hold target requires a fixed share.

The interim projection (at the checkpoint, before the cut-off). Titles are decided in yearly
assessment rounds, not at an even rate through the year, so stretching the share recognised so
far over the calendar would flag nearly every area in September. Instead the projection applies
the pass rate of the entities decided so far to the registered entities still waiting:

    projected recognised = recognised + max(0, registered - assessed) * recognised / assessed

(with a pass rate of 1 while nothing has been decided yet, so the projection is then the share
registered: only registered entities can be recognised; `assessed` counts at least the
recognised). An area whose projected share is below
the year's requirement is at risk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from shared.events.vocabulary import Level, Title
from shared.programme import Target

from .calendar import Phase

EPSILON = 1e-9


class Verdict(StrEnum):
    MET = "met"
    MISSED = "missed"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    INSUFFICIENT = "insufficient"
    NOT_JUDGED = "not_judged"
    RESOLVED = "resolved"  # a notice only: a missed year that now meets
    ESCALATED = "escalated"  # a notice only: a miss unresolved for too long, sent to the parent


@dataclass(frozen=True, slots=True)
class Figures:
    """One area's indicator for one title and year (the `current` hierarchy), as stored."""

    title: Title
    year: int
    level: Level
    area_code: str
    area_name: str | None
    total: int
    registered: int
    recognised: int
    revision: int
    parent_code: str | None = None
    assessed: int = 0
    data_status: str = "ok"
    data_status_reason: str | None = None
    rule_versions: tuple[str, ...] = ()
    goal_percent: float | None = None
    projected_goal_year_percent: float | None = None

    @property
    def percent(self) -> float | None:
        return 100.0 * self.recognised / self.total if self.total else None

    @property
    def insufficient(self) -> bool:
        return self.data_status == "insufficient"

    @property
    def name(self) -> str:
        return self.area_name or self.area_code


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    phase: Phase
    current: Figures
    previous: Figures | None
    target: Target | None
    required_percent: float | None = None
    growth_points: float | None = None
    projected_percent: float | None = None
    shortfall: int = 0
    projected_shortfall: int = 0
    reason: str | None = None


def required_percent(target: Target, previous: Figures | None) -> float | None:
    """This year's requirement, or None when a growth target has no usable last year."""
    if target.hold_at_least_percent is not None:
        return target.hold_at_least_percent
    if previous is None or previous.percent is None:
        return None
    required = previous.percent + (target.growth_min_points or 0.0)
    if target.growth_capped_at_goal:
        required = min(required, max(target.goal_percent, 0.0))
    return min(100.0, required)


def projected_recognised(figures: Figures) -> float:
    """See the module docstring: the pass rate so far applied to the registered still waiting.

    A recognised entity has been assessed, so `assessed` is at least `recognised` (figures from
    a producer that does not count assessments yet report 0).
    """
    assessed = max(figures.assessed, figures.recognised)
    pending = max(0, figures.registered - assessed)
    rate = figures.recognised / assessed if assessed > 0 else 1.0
    return figures.recognised + pending * rate


def entities_needed(required: float, total: int) -> int:
    """How many entities make `required` percent of `total` (rounded up).

    >>> entities_needed(63.0, 120)
    76
    """
    return math.ceil(required / 100.0 * total - EPSILON)


def judge(current: Figures, previous: Figures | None, target: Target, phase: Phase) -> Judgement:
    """The verdict for one area, title and year in the given phase."""
    if current.insufficient:
        reason = current.data_status_reason or "metrics marked this year's figures insufficient"
        return Judgement(Verdict.INSUFFICIENT, phase, current, previous, target, reason=reason)
    if target.growth_min_points is not None and previous is not None and previous.insufficient:
        reason = f"{previous.year}: " + (previous.data_status_reason or "last year's figures are insufficient")
        return Judgement(Verdict.INSUFFICIENT, phase, current, previous, target, reason=reason)
    if current.percent is None:
        return Judgement(Verdict.NOT_JUDGED, phase, current, previous, target, reason="no entities of this kind in the area")
    required = required_percent(target, previous)
    if required is None:
        return Judgement(Verdict.NOT_JUDGED, phase, current, previous, target, reason=f"no figures for {current.year - 1}")
    growth = None
    if previous is not None and previous.percent is not None:
        growth = round(current.percent - previous.percent, 2)
    needed = entities_needed(required, current.total)
    shortfall = max(0, needed - current.recognised)
    if phase is Phase.FINAL:
        verdict = Verdict.MET if current.percent + EPSILON >= required else Verdict.MISSED
        return Judgement(verdict, phase, current, previous, target, round(required, 2), growth, shortfall=shortfall)
    projected = projected_recognised(current)
    projected_percent = 100.0 * projected / current.total
    on_track = max(current.percent, projected_percent) + EPSILON >= required
    return Judgement(
        Verdict.ON_TRACK if on_track else Verdict.AT_RISK,
        phase,
        current,
        previous,
        target,
        round(required, 2),
        growth,
        projected_percent=round(projected_percent, 2),
        shortfall=shortfall,
        projected_shortfall=max(0, needed - math.floor(projected + EPSILON)),
    )
