"""Rule sets as data: one YAML document per title and version, validated strictly.

A value the sources did not verify carries `provisional: true` (write `{value: 10, provisional:
true}` instead of `10`), so reviewers see at a glance what a province must confirm. Checks that
need the whole document (facts, derived facts, thresholds) live in `rule_checks`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from shared.events.vocabulary import Title

from .derived import DerivedFact

EntityKind = Literal["household", "clan", "hamlet", "unit", "citizen"]

ENTITY_KIND_OF: dict[Title, str] = {
    Title.LEARNING_FAMILY: "household",
    Title.LEARNING_CLAN: "clan",
    Title.LEARNING_COMMUNITY: "hamlet",
    Title.LEARNING_UNIT: "unit",
    Title.LEARNING_CITIZEN: "citizen",
}

PREREQUISITES_ID = "prerequisites"
ALTERNATIVES_ID = "granted_outright_when"
"""Ids under which prerequisites and alternative paths appear in a decision's criteria trace."""


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _bare_number(value: Any) -> Any:
    return (
        {"value": value}
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else value
    )


class Param(Strict):
    """A number in a rule set, with whether the sources verified it."""

    value: float
    provisional: bool = False
    note: str | None = None


Number = Annotated[Param, BeforeValidator(_bare_number)]


class Label(Strict):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class FlagScore(Strict):
    """Full points when a yes/no fact is yes."""

    kind: Literal["flag"]
    fact: str


class ShareScore(Strict):
    """Full points when the sum of `numerator` facts over the `denominator` fact reaches `at_least`."""

    kind: Literal["share"]
    numerator: tuple[str, ...] = Field(min_length=1)
    denominator: str
    at_least: Number
    when_denominator_zero: Literal["full", "none"] = Field(
        default="full",
        description="e.g. a household without school-age children meets a children's item",
    )

    @model_validator(mode="after")
    def _fraction(self) -> Self:
        if not 0 < self.at_least.value <= 1:
            raise ValueError("at_least is a share between 0 (exclusive) and 1")
        return self


class CountScore(Strict):
    """Full points when a numeric fact reaches `at_least`."""

    kind: Literal["count"]
    fact: str
    at_least: Number


Score = Annotated[FlagScore | ShareScore | CountScore, Field(discriminator="kind")]


class Item(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Label
    max_points: Number
    score: Score


class Condition(Strict):
    """A yes/no test without points: a prerequisite, or a path that grants the title outright."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Label
    score: Score


class Criterion(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Label
    minimum: Number = Param(value=0)
    items: tuple[Item, ...] = Field(min_length=1)

    @property
    def max_points(self) -> float:
        return sum(item.max_points.value for item in self.items)


class LegalReference(Strict):
    document: str
    date: dt.date | None = None
    url: str | None = None
    note: str | None = None


class Effective(Strict):
    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    provisional: bool = False
    note: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)

    def overlaps(self, other: Effective) -> bool:
        latest_start = max(self.from_, other.from_)
        ends = [end for end in (self.until, other.until) if end is not None]
        return not ends or latest_start <= min(ends)


class RuleSet(Strict):
    """One title's criteria for a period: items with points, per-criterion minimums, a threshold,
    prerequisites every path must meet, paths that grant the title outright, and the facts the
    service derives from other decisions (the cascade)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: Title
    entity_kind: EntityKind
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
    effective: Effective
    legal_reference: LegalReference
    description: str | None = None
    threshold: Number
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    prerequisites: tuple[Condition, ...] = ()
    granted_outright_when: tuple[Condition, ...] = ()
    derived_facts: dict[str, DerivedFact] = Field(default_factory=dict)

    _plan: Any = PrivateAttr(default=None)

    @property
    def max_points(self) -> float:
        return sum(criterion.max_points for criterion in self.criteria)

    @property
    def series(self) -> tuple[str, str]:
        """(id, version): what labels the decisions made under this rule set."""
        return (self.id, self.version)

    def plan(self) -> Any:
        """The rule set compiled for fast evaluation (built once, on first use)."""
        if self._plan is None:
            from .plan import compile_plan

            self._plan = compile_plan(self)
        return self._plan
