"""Events the recognition service publishes: title decisions, each with its explanation."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
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


    @classmethod
    def read_json(cls, value: bytes) -> Any:
        """The decision's counted fields, read by msgspec when it accepts the value (≈ 3 µs
        against ≈ 9 µs for this model, on a path that folds a year of decisions).

        msgspec is stricter than pydantic's lax JSON mode (no "2025" for a year, no "true" for
        a bool), never looser: what it refuses is read again by this model, which accepts it or
        raises the ValidationError a dead letter is described from. So the outcome and every
        value are pydantic's (`tests/contract/test_decision_view.py` holds the two together);
        only the object differs, a `TitleDecidedTally` with the same attributes.

        msgspec skips the fields it does not read without checking their text is UTF-8, which
        pydantic refuses, so a value that is not ASCII is checked first."""
        try:
            if not value.isascii():
                value.decode()
            return _TALLY_DECODER.decode(value)
        except (msgspec.MsgspecError, UnicodeDecodeError):
            return cls.model_validate_json(value)


# EntityId's pattern with \Z for $: Python's re (msgspec's) lets $ match before a final newline,
# pydantic's regex engine does not.
_ENTITY_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}\Z"


class TitleDecidedTally(msgspec.Struct, frozen=True):
    """What `TitleDecidedCount.read_json` returns: its fields, validated by its rules."""

    title: Title
    entity_kind: str
    entity_id: Annotated[str, msgspec.Meta(pattern=_ENTITY_ID)]
    year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    granted: bool
    rule_version: str
    rule_effective_from: date
    revision: Annotated[int, msgspec.Meta(ge=1)]
    assessable: bool = True


_TALLY_DECODER = msgspec.json.Decoder(TitleDecidedTally)
