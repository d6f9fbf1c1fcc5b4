"""One entity in one year for one title: where it counts, and whether it registered and was recognised.

A fact row is what a cell sums. Every change to a row is applied under a row lock, so the
difference between its contribution before and after is exact, whatever order events arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import NamedTuple

from shared.events.vocabulary import Title

from .cells import Counts, Tally, TallySum


class DecisionFact(NamedTuple):
    """The part of a TitleDecided a cell needs (a named tuple: a batch builds one per decision,
    at half a frozen dataclass's cost)."""

    granted: bool
    assessable: bool
    rule_version: str
    rule_effective_from: date
    revision: int

    def order(self) -> tuple[date, str, int]:
        """Later rule sets win; within one rule set's series the higher revision wins."""
        return (self.rule_effective_from, self.rule_version, self.revision)


@dataclass(frozen=True, slots=True)
class FactRow:
    title: Title
    entity_id: str
    year: int
    leaf_code: str | None = None
    registered: bool = False
    registration_version: int = 0
    decision: DecisionFact | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.entity_id, self.year)

    def add_to(self, total: TallySum, sign: int = 1) -> None:
        """Add (or with sign -1, take away) this row's contribution; the same as `contribution()`."""
        if self.leaf_code is None:
            return
        decision = self.decision
        total.total += sign
        if self.registered or decision is not None:
            total.registered += sign
        if decision is not None:
            total.recognised += sign if decision.granted else 0
            total.assessed += sign if decision.assessable else 0
            total.versions[decision.rule_version] = (
                total.versions.get(decision.rule_version, 0) + sign
            )

    def contribution(self) -> Tally:
        """What this row adds to the cells of its leaf (nothing when it is not placed that year)."""
        if self.leaf_code is None:
            return Tally()
        decided = self.decision is not None
        assessed = decided and self.decision.assessable  # type: ignore[union-attr]
        counts = Counts(
            total=1,
            registered=int(self.registered or decided),
            recognised=int(decided and self.decision.granted),  # type: ignore[union-attr]
            assessed=int(assessed),
        )
        versions = {self.decision.rule_version: 1} if decided else {}  # type: ignore[union-attr]
        return Tally.of(counts, versions)


@dataclass(frozen=True, slots=True)
class Transition:
    """A fact row before and after one change (before is a blank row when it did not exist)."""

    before: FactRow
    after: FactRow


def with_decision(row: FactRow, decision: DecisionFact) -> FactRow | None:
    """The row with this decision, or None when the row already holds the same or a later one."""
    if row.decision is not None and row.decision.order() >= decision.order():
        return None
    return replace(row, decision=decision)


def with_registration(row: FactRow, registered: bool, version: int) -> FactRow | None:
    if row.registration_version >= version:
        return None
    return replace(row, registered=registered, registration_version=version)


def with_leaf(row: FactRow, leaf_code: str | None) -> FactRow | None:
    if row.leaf_code == leaf_code:
        return None
    return replace(row, leaf_code=leaf_code)
