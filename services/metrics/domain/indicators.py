"""What a cell shows: both ratios, whether the data suffice, change, target, goal and projection.

An area whose figures cannot support a percentage says so ("insufficient" with a reason) and
shows no ratio: a gap is never reported as 0 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.programme import Target

from .cells import Counts, Figures, percent

OK = "ok"
INSUFFICIENT = "insufficient"


@dataclass(frozen=True, slots=True)
class Policy:
    """How one title's cells are judged: the gap tolerated, and the programme's target for it."""

    unassessed_tolerance: float = 0.05
    target: Target | None = None
    programme_first_year: int | None = None


def data_status(counts: Counts, year: int, tolerance: float) -> tuple[str, str | None]:
    """("ok", None) or ("insufficient", why), for one cell's counts.

    >>> data_status(Counts(total=0), 2024, 0.05)
    ('insufficient', 'the registry has sent no entities for this area')
    >>> data_status(Counts(total=40, registered=30, recognised=20, assessed=30), 2024, 0.05)
    ('ok', None)
    """
    if counts.total <= 0:
        return INSUFFICIENT, "the registry has sent no entities for this area"
    if counts.assessed <= 0:
        return (
            INSUFFICIENT,
            f"{counts.total} {'entity' if counts.total == 1 else 'entities'} but no decisions for {year}",
        )
    waiting = counts.registered - counts.assessed
    if waiting > tolerance * counts.registered:
        return INSUFFICIENT, (
            f"{waiting} of {counts.registered} registered entities have no decision for {year} "
            f"(more than {tolerance:.0%} tolerated)"
        )
    return OK, None


def _difference(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 2)


def _baseline(ratios: Mapping[int, float], year: int, first_year: int | None) -> int | None:
    """The year the pace is measured from: the programme's first year, else the earliest with data."""
    if first_year is not None and first_year < year and first_year in ratios:
        return first_year
    earlier = [y for y in ratios if y < year]
    return min(earlier) if earlier else None


def projection(
    ratios: Mapping[int, float], year: int, goal_year: int, first_year: int | None
) -> float | None:
    """The ratio at `goal_year` if the yearly pace since the baseline continues (0-100).

    >>> projection({2024: 60.0, 2026: 66.0}, 2026, 2030, 2024)
    78.0
    """
    now = ratios.get(year)
    if now is None or year > goal_year:
        return None
    if year == goal_year:
        return now
    base = _baseline(ratios, year, first_year)
    if base is None:
        return None
    pace = (now - ratios[base]) / (year - base)
    return round(min(100.0, max(0.0, now + pace * (goal_year - year))), 2)


def yearly_target(target: Target | None, previous_ratio: float | None) -> float | None:
    """This year's target: held level, or last year's ratio plus the minimum growth, up to the goal."""
    if target is None:
        return None
    if target.hold_at_least_percent is not None:
        return target.hold_at_least_percent
    if previous_ratio is None or target.growth_min_points is None:
        return None
    return round(min(target.goal_percent, previous_ratio + target.growth_min_points), 2)


def derive_series(counts_by_year: Mapping[int, Counts], policy: Policy) -> dict[int, Figures]:
    """The figures of every year of one area's series (change and projection read other years)."""
    statuses = {
        y: data_status(c, y, policy.unassessed_tolerance) for y, c in counts_by_year.items()
    }
    ratios = {
        y: ratio
        for y, c in counts_by_year.items()
        if statuses[y][0] == OK and (ratio := percent(c.recognised, c.total)) is not None
    }
    target = policy.target
    figures: dict[int, Figures] = {}
    for year, counts in counts_by_year.items():
        status, reason = statuses[year]
        ok = status == OK
        figures[year] = Figures(
            ratio_all=ratios.get(year),
            ratio_registered=percent(counts.recognised, counts.registered) if ok else None,
            data_status=status,
            data_status_reason=reason,
            change_points=_difference(ratios.get(year), ratios.get(year - 1)),
            goal_percent=target.goal_percent if target else None,
            goal_year=target.goal_year if target else None,
            projected_goal_year_percent=(
                projection(ratios, year, target.goal_year, policy.programme_first_year)
                if target
                else None
            ),
            target_percent=yearly_target(target, ratios.get(year - 1)),
        )
    return figures
