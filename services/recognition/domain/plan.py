"""A rule set compiled into a plan: tuples of small closures, built once, evaluated many times.

The plan is what makes evaluation fast enough for a province (hundreds of thousands of entities
a year): no model traversal, no isinstance dispatch, each scorer receives the facts' `get`
directly, and the common outcomes (a yes/no fact met or not, a share met in full) return a
prebuilt result instead of allocating one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .evaluation import DERIVED_MARK, CriterionResult, Evaluation, ItemResult
from .rules import ALTERNATIVES_ID, PREREQUISITES_ID, CountScore, FlagScore, RuleSet, Score

Get = Callable[[str], Any]
Scorer = Callable[[Get], ItemResult]


def _flag(item_id: str, full: float, fact: str) -> Scorer:
    met = ItemResult(item_id, full, full, True, True, True, None)
    unmet = ItemResult(item_id, 0.0, full, False, False, True, f"{fact} is not met")
    missing = ItemResult(item_id, 0.0, full, False, None, True, f"{fact} is missing")

    def score(get: Get) -> ItemResult:
        value = get(fact)
        if value is None:
            return missing
        return met if value else unmet

    return score


def _count(item_id: str, full: float, fact: str, required: float) -> Scorer:
    missing = ItemResult(item_id, 0.0, full, False, None, required, f"{fact} is missing")

    def score(get: Get) -> ItemResult:
        value = get(fact)
        if value is None:
            return missing
        if value >= required:
            return ItemResult(item_id, full, full, True, float(value), required, None)
        value = float(value)
        return ItemResult(
            item_id, 0.0, full, False, value, required, ("count", fact, value, required)
        )

    return score


def _share(
    item_id: str,
    full: float,
    numerator: tuple[str, ...],
    denominator: str,
    required: float,
    zero_is_full: bool,
    over: str | None,
) -> Scorer:
    names = " + ".join(numerator)
    marker = numerator[0] + DERIVED_MARK if over else None
    whole_met = ItemResult(item_id, full, full, True, 1.0, required, None)
    empty_met = ItemResult(item_id, full, full, True, None, required, None)
    first, rest = numerator[0], numerator[1:]

    def score(get: Get) -> ItemResult:
        base = over if marker is not None and get(marker) else denominator
        whole = get(base)
        part = get(first)
        if whole is None or part is None or (rest and None in [get(n) for n in rest]):
            absent = ", ".join(n for n in (*numerator, base) if get(n) is None)
            return ItemResult(item_id, 0.0, full, False, None, required, f"{absent} is missing")
        for name in rest:
            part += get(name)
        if whole == 0:
            if zero_is_full:
                return empty_met
            return ItemResult(
                item_id, 0.0, full, False, None, required, f"no {base} to measure against"
            )
        if part == whole:
            return whole_met
        share = part / whole
        if share >= required - 1e-9:
            return ItemResult(item_id, full, full, True, share, required, None)
        needed = max(0.0, _ceil(required * whole) - part)
        return ItemResult(
            item_id,
            0.0,
            full,
            False,
            share,
            required,
            ("share", names, part, base, whole, share, required, needed),
        )

    return score


def _ceil(value: float) -> float:
    whole = int(value)
    return float(whole if abs(value - whole) < 1e-9 else whole + 1)


def _scorer(item_id: str, full: float, score: Score, overs: dict[str, str]) -> Scorer:
    if isinstance(score, FlagScore):
        return _flag(item_id, full, score.fact)
    if isinstance(score, CountScore):
        return _count(item_id, full, score.fact, score.at_least.value)
    over = overs.get(score.numerator[0]) if len(score.numerator) == 1 else None
    return _share(
        item_id,
        full,
        score.numerator,
        score.denominator,
        score.at_least.value,
        score.when_denominator_zero == "full",
        over,
    )


def _reads(score: Score, overs: dict[str, str]) -> tuple[str, ...]:
    if isinstance(score, (FlagScore, CountScore)):
        return (score.fact,)
    extra = tuple(overs[n] for n in score.numerator if n in overs)
    return (*score.numerator, score.denominator, *extra)


@dataclass(frozen=True, slots=True)
class Plan:
    rule_set_id: str
    rule_version: str
    threshold: float
    max_points: float
    criteria: tuple[tuple[str, float, float, tuple[Scorer, ...]], ...]
    prerequisites: tuple[Scorer, ...]
    alternatives: tuple[Scorer, ...]
    required: tuple[str, ...]
    read: tuple[str, ...]
    markers: tuple[str, ...]
    """Markers of the facts the cascade may derive (copied into the trace when set)."""
    bases: tuple[tuple[str, str], ...]
    """(marker, base): the base becomes required when the marked fact was derived."""

    def evaluate(self, facts: dict[str, Any]) -> Evaluation:
        get = facts.get
        criteria = []
        total = 0.0
        criteria_met = True
        for identifier, minimum, maximum, scorers in self.criteria:
            items = []
            points = 0.0
            for score in scorers:
                item = score(get)
                points += item.points
                items.append(item)
            met = points >= minimum - 1e-9
            criteria_met = criteria_met and met
            total += points
            criteria.append(
                CriterionResult(identifier, points, maximum, minimum, met, tuple(items))
            )
        missing = (
            [name for name in self.required if get(name) is None]
            if None in map(get, self.required)
            else []
        )
        for marker, base in self.bases:
            if get(marker) and get(base) is None and base not in missing:
                missing.append(base)
        prerequisites_met = outright = True
        if self.prerequisites:
            checks = tuple([score(get) for score in self.prerequisites])
            prerequisites_met = all([c.met for c in checks])
            criteria.append(
                CriterionResult(PREREQUISITES_ID, 0.0, 0.0, 0.0, prerequisites_met, checks)
            )
        outright = False
        if self.alternatives:
            paths = tuple([score(get) for score in self.alternatives])
            outright = any([p.met for p in paths])
            criteria.append(CriterionResult(ALTERNATIVES_ID, 0.0, 0.0, 0.0, outright, paths))
        assessable = outright or not missing
        granted = (
            assessable
            and prerequisites_met
            and (outright or (total >= self.threshold - 1e-9 and criteria_met))
        )
        gaps = () if outright else tuple(missing)
        return Evaluation(
            granted,
            total,
            self.max_points,
            self.threshold,
            tuple(criteria),
            self.rule_set_id,
            self.rule_version,
            assessable,
            gaps,
            facts,
            self.read,
            self.markers,
        )


def compile_plan(rule_set: RuleSet) -> Plan:
    overs = {name: spec.over for name, spec in rule_set.derived_facts.items() if spec.over}
    criteria = tuple(
        (
            c.id,
            c.minimum.value,
            c.max_points,
            tuple(_scorer(i.id, i.max_points.value, i.score, overs) for i in c.items),
        )
        for c in rule_set.criteria
    )
    prerequisites = tuple(_scorer(p.id, 0.0, p.score, overs) for p in rule_set.prerequisites)
    alternatives = tuple(_scorer(a.id, 0.0, a.score, overs) for a in rule_set.granted_outright_when)
    required = [f for c in rule_set.criteria for i in c.items for f in _reads(i.score, overs)]
    required += [f for p in rule_set.prerequisites for f in _reads(p.score, overs)]
    optional = [f for a in rule_set.granted_outright_when for f in _reads(a.score, overs)]
    # An `over` base is only read when its fact was derived: it is not required up front.
    bases = set(overs.values())
    markers = tuple(
        name + DERIVED_MARK for name, spec in rule_set.derived_facts.items() if spec.count
    )
    return Plan(
        rule_set.id,
        rule_set.version,
        rule_set.threshold.value,
        rule_set.max_points,
        criteria,
        prerequisites,
        alternatives,
        tuple(dict.fromkeys(f for f in required if f not in bases)),
        tuple(dict.fromkeys(required + optional)),
        markers,
        tuple((name + DERIVED_MARK, base) for name, base in overs.items()),
    )
