"""Evaluation: (facts, rule set) -> decision with points per criterion and item, and why not.

A pure function of its inputs, so the same facts under the same rules give the same decision
whatever the order or time they arrive in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .rules import CountScore, Criterion, FlagScore, Item, RuleSet, ShareScore


@dataclass(frozen=True, slots=True)
class ItemResult:
    id: str
    points: float
    max_points: float
    met: bool
    observed: float | bool | None
    required: float | bool | None
    shortfall: str | None


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    points: float
    max_points: float
    minimum: float
    met: bool
    items: tuple[ItemResult, ...]


@dataclass(frozen=True, slots=True)
class Evaluation:
    granted: bool
    total_points: float
    max_points: float
    threshold: float
    criteria: tuple[CriterionResult, ...]
    unmet: tuple[str, ...]
    rule_set_id: str
    rule_version: str


def evaluate(rule_set: RuleSet, facts: Mapping[str, Any]) -> Evaluation:
    criteria = tuple(_criterion(criterion, facts) for criterion in rule_set.criteria)
    total = round(sum(c.points for c in criteria), 4)
    threshold = rule_set.threshold.value
    unmet: list[str] = []
    for criterion in criteria:
        if not criterion.met:
            unmet.append(
                f"criterion {criterion.id}: {criterion.points:g} points, below its minimum of {criterion.minimum:g}"
            )
        unmet.extend(f"{item.id}: {item.shortfall}" for item in criterion.items if item.shortfall)
    if total < threshold:
        unmet.insert(0, f"total {total:g} points, below the threshold of {threshold:g} ({threshold - total:g} short)")
    granted = total >= threshold and all(c.met for c in criteria)
    return Evaluation(
        granted=granted,
        total_points=total,
        max_points=rule_set.max_points,
        threshold=threshold,
        criteria=criteria,
        unmet=tuple(unmet) if not granted else (),
        rule_set_id=rule_set.id,
        rule_version=rule_set.version,
    )


def _criterion(criterion: Criterion, facts: Mapping[str, Any]) -> CriterionResult:
    items = tuple(_item(item, facts) for item in criterion.items)
    points = round(sum(i.points for i in items), 4)
    minimum = criterion.minimum.value
    return CriterionResult(
        id=criterion.id,
        points=points,
        max_points=criterion.max_points,
        minimum=minimum,
        met=points >= minimum,
        items=items,
    )


def _item(item: Item, facts: Mapping[str, Any]) -> ItemResult:
    score = item.score
    full = item.max_points.value
    if isinstance(score, FlagScore):
        observed = bool(facts.get(score.fact))
        return ItemResult(item.id, full if observed else 0.0, full, observed, observed, True,
                          None if observed else f"{score.fact} is not met")
    if isinstance(score, CountScore):
        value = float(facts.get(score.fact) or 0)
        required = score.at_least.value
        met = value >= required
        return ItemResult(item.id, full if met else 0.0, full, met, value, required,
                          None if met else f"{score.fact} is {value:g}; {required:g} required ({required - value:g} short)")
    return _share(item, score, facts)


def _share(item: Item, score: ShareScore, facts: Mapping[str, Any]) -> ItemResult:
    full = item.max_points.value
    required = score.at_least.value
    denominator = float(facts.get(score.denominator) or 0)
    numerator = sum(float(facts.get(name) or 0) for name in score.numerator)
    if denominator == 0:
        met = score.when_denominator_zero == "full"
        return ItemResult(item.id, full if met else 0.0, full, met, None, required,
                          None if met else f"no {score.denominator} to measure against")
    share = numerator / denominator
    met = share >= required - 1e-9
    if met:
        return ItemResult(item.id, full, full, True, round(share, 4), required, None)
    needed = max(0, _ceil(required * denominator) - numerator)
    names = " + ".join(score.numerator)
    shortfall = (
        f"{names} is {numerator:g} of {score.denominator} {denominator:g} ({share:.0%}); "
        f"{required:.0%} required ({needed:g} more)"
    )
    return ItemResult(item.id, 0.0, full, False, round(share, 4), required, shortfall)


def _ceil(value: float) -> float:
    whole = int(value)
    return float(whole if abs(value - whole) < 1e-9 else whole + 1)
