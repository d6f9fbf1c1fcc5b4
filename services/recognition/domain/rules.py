"""Rule sets as data: one YAML document per title and version, validated strictly.

A value the sources did not verify carries `provisional: true` (write `{value: 10, provisional:
true}` instead of `10`), so reviewers see at a glance what a province must confirm.
"""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.events.vocabulary import Title


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _bare_number(value: Any) -> Any:
    return {"value": value} if isinstance(value, (int, float)) and not isinstance(value, bool) else value


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
        default="full", description="e.g. a household without school-age children meets a children's item"
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

    def covers(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.until is None or day <= self.until)

    def overlaps(self, other: Effective) -> bool:
        latest_start = max(self.from_, other.from_)
        ends = [end for end in (self.until, other.until) if end is not None]
        return not ends or latest_start <= min(ends)


class RuleSet(Strict):
    """One title's criteria for a period: items with points, per-criterion minimums, a threshold."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: Title
    entity_kind: Literal["household", "clan", "hamlet", "unit", "citizen"]
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
    effective: Effective
    legal_reference: LegalReference
    description: str | None = None
    threshold: Number
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @property
    def max_points(self) -> float:
        return sum(criterion.max_points for criterion in self.criteria)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.effective.until is not None and self.effective.until < self.effective.from_:
            raise ValueError("effective.until is before effective.from")
        if self.threshold.value > self.max_points:
            raise ValueError(f"threshold {self.threshold.value:g} is above the maximum {self.max_points:g} points")
        seen: set[str] = set()
        for criterion in self.criteria:
            if criterion.minimum.value > criterion.max_points:
                raise ValueError(
                    f"criterion {criterion.id}: minimum {criterion.minimum.value:g} is above its "
                    f"maximum {criterion.max_points:g} points"
                )
            for identifier in (criterion.id, *(item.id for item in criterion.items)):
                if identifier in seen:
                    raise ValueError(f"id {identifier!r} is used twice")
                seen.add(identifier)
        return self

    def facts_read(self) -> dict[str, str]:
        """Every fact the rule set reads, with the kind of value it must be ('flag' or 'number')."""
        facts: dict[str, str] = {}
        for criterion in self.criteria:
            for item in criterion.items:
                score = item.score
                if isinstance(score, FlagScore):
                    facts[score.fact] = "flag"
                elif isinstance(score, ShareScore):
                    for name in (*score.numerator, score.denominator):
                        facts[name] = "number"
                else:
                    facts[score.fact] = "number"
        return facts

    def check_facts(self, known: Mapping[str, str]) -> None:
        """Refuse a rule set that reads a fact the title's evidence does not have, or as the wrong kind."""
        for fact, kind in self.facts_read().items():
            if fact not in known:
                raise ValueError(f"reads unknown fact {fact!r} (known: {', '.join(sorted(known))})")
            if known[fact] != kind:
                raise ValueError(f"reads fact {fact!r} as a {kind}, but it is a {known[fact]}")
