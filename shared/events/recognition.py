"""Events the recognition service publishes: title decisions, each with its explanation."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from .base import EventData, ValueData, event_type
from .vocabulary import AssessmentYear, EntityId, Title


class ItemScore(ValueData):
    """Points one criterion item gave, and what it read."""

    id: str
    points: float
    max_points: float
    met: bool
    observed: float | bool | None = Field(description="The value the item read from the facts.")
    required: float | bool | None = Field(description="The value that earns the full points.")


class CriterionScore(ValueData):
    """Points one criterion gave: the sum of its items, against its own minimum."""

    id: str
    points: float
    max_points: float
    minimum: float
    met: bool
    items: tuple[ItemScore, ...]


class TitleDecided(EventData):
    """The decision for one entity, title and year under one rule-set version (key: entity id).

    Emitted when the decision first exists and again only when it changes; `revision` grows each
    time within the (entity, title, year, rule version) series, so consumers keep the highest. A
    new rule version for a year starts a new series; earlier series are never rewritten. Consumers
    count, per entity and year, the series with the latest `rule_effective_from`.
    """

    TYPE = event_type("recognition", "title-decided")

    title: Title
    entity_kind: str = Field(description="household, clan, hamlet, unit or citizen")
    entity_id: EntityId
    year: AssessmentYear
    assessable: bool = Field(default=True, description="False when facts the rules read are missing.")
    missing_facts: tuple[str, ...] = ()
    granted: bool
    total_points: float
    max_points: float
    threshold: float
    criteria: tuple[CriterionScore, ...]
    unmet: tuple[str, ...] = Field(description="Plain-language reasons the title was not granted.")
    facts: dict[str, float | bool | None] = Field(
        default_factory=dict, description="Every fact the rules read, including those derived from other decisions."
    )
    rule_set_id: str
    rule_version: str
    rule_effective_from: date
    revision: int = Field(ge=1)


class TitleDecidedCount(EventData):
    """What a consumer that counts decisions reads of a TitleDecided: the verdict, not the why.

    The same type and JSON as `TitleDecided`, read through fewer fields: the explanation
    (criteria, facts, reasons), which a counter never shows, is skipped unread, and decoding
    costs a quarter of the whole model's (≈ 11 µs against ≈ 45 µs for four criteria). Every
    field it reads is validated exactly as `TitleDecided` validates it (a contract test holds
    the two together), so a decision wrong in anything that counts still goes to the
    dead-letter topic. Unknown
    fields are ignored rather than refused: the producer validates the whole decision when it
    builds it, and a later minor version may add fields.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE = TitleDecided.TYPE

    title: Title
    entity_kind: str = Field(description="household, clan, hamlet, unit or citizen")
    entity_id: EntityId
    year: AssessmentYear
    assessable: bool = Field(default=True, description="False when facts the rules read are missing.")
    granted: bool
    rule_version: str
    rule_effective_from: date
    revision: int = Field(ge=1)
