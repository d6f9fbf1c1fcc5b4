"""Evaluation: (facts, rule set) -> decision with points per criterion and item, and why not.

A pure function of its inputs, so the same facts under the same rules give the same decision
whatever the order or time they arrive in. The rule set is compiled once into a plan of small
closures (`plan`); this module holds what an evaluation returns. The results are named tuples
(immutable, and several times cheaper to build than frozen dataclasses), and the sentences that
explain a refusal are written only when asked for: at province scale both matter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .rules import ALTERNATIVES_ID, PREREQUISITES_ID, RuleSet

DERIVED_MARK = ".derived"
"""A fact `x` counted by the cascade comes with `x.derived: true` in the facts and the trace."""

Reason = str | tuple[Any, ...] | None


def _sentence(reason: Reason) -> str | None:
    if reason is None or isinstance(reason, str):
        return reason
    kind, *args = reason
    if kind == "count":
        fact, value, required = args
        return f"{fact} is {value:g}; {required:g} required ({required - value:g} short)"
    names, part, base, whole, share, required, needed = args
    return f"{names} is {part:g} of {base} {whole:g} ({share:.0%}); {required:.0%} required ({needed:g} more)"


class ItemResult(NamedTuple):
    id: str
    points: float
    max_points: float
    met: bool
    observed: float | bool | None
    required: float | bool | None
    reason: Reason = None
    """Why the item is not met: a sentence, or the values to write one from (see `shortfall`)."""

    @property
    def shortfall(self) -> str | None:
        """Why the item is not met and how far off it is, in words; None when it is met."""
        return _sentence(self.reason)


class CriterionResult(NamedTuple):
    id: str
    points: float
    max_points: float
    minimum: float
    met: bool
    items: tuple[ItemResult, ...]


class Evaluation(NamedTuple):
    granted: bool
    total_points: float
    max_points: float
    threshold: float
    criteria: tuple[CriterionResult, ...]
    rule_set_id: str
    rule_version: str
    assessable: bool = True
    missing_facts: tuple[str, ...] = ()
    inputs: Mapping[str, Any] | None = None
    """The facts evaluated (kept by reference: building the trace is left to `facts`)."""
    reads: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()

    @property
    def facts(self) -> dict[str, float | bool | None]:
        """Every fact the rule set read, with the value it read; a fact the cascade counted
        comes with `<fact>.derived: true`."""
        inputs = self.inputs or {}
        read = {name: inputs.get(name) for name in self.reads}
        read.update((marker, True) for marker in self.markers if inputs.get(marker))
        return read

    @property
    def unmet(self) -> tuple[str, ...]:
        """Plain-language reasons the title was not granted (none when it was)."""
        if self.granted:
            return ()
        reasons: list[str] = []
        if not self.assessable:
            reasons.append(f"not assessable: missing facts {', '.join(self.missing_facts)}")
        total, threshold = self.total_points, self.threshold
        if total < threshold - 1e-9:
            reasons.append(
                f"total {total:g} points, below the threshold of {threshold:g} ({threshold - total:g} short)"
            )
        for criterion in self.criteria:
            if criterion.id == ALTERNATIVES_ID:
                continue
            if criterion.id == PREREQUISITES_ID:
                reasons.extend(
                    f"prerequisite {c.id}: {c.shortfall}" for c in criterion.items if not c.met
                )
                continue
            if not criterion.met:
                reasons.append(
                    f"criterion {criterion.id}: {criterion.points:g} points, below its minimum of {criterion.minimum:g}"
                )
            reasons.extend(
                f"{item.id}: {item.shortfall}"
                for item in criterion.items
                if item.reason is not None
            )
        return tuple(reasons)


def evaluate(rule_set: RuleSet, facts: Mapping[str, Any]) -> Evaluation:
    """Evaluate one entity's facts for one year under `rule_set` (compiled on first use)."""
    return rule_set.plan().evaluate(facts)
