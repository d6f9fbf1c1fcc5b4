"""Turning an evaluation into a decision event, and telling whether a decision changed.

Decisions form series: one per (title, entity, year, rule set id, rule version). A new rule
version for a year starts a new series at revision 1; the older series is kept as it was.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title

from .evaluation import Evaluation
from .rules import ENTITY_KIND_OF


@dataclass(frozen=True, slots=True)
class DecisionState:
    """The last decision published in one series."""

    title: Title
    entity_id: str
    year: int
    revision: int
    decision: TitleDecided
    digest: bytes
    """`content_digest(decision)`, stored with it."""

    @property
    def series(self) -> tuple[str, str]:
        return (self.decision.rule_set_id, self.decision.rule_version)


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """What the cascade reads of the last decision of a series: enough to number the next one and
    to tell whether it says something new, without reading the decision back."""

    revision: int
    granted: bool
    digest: bytes


_REVISION = {"revision"}


def content_json(decision: TitleDecided) -> bytes:
    """What a decision says, as JSON: all of it but its revision, the model's last field."""
    return decision.model_dump_json(exclude=_REVISION).encode()


def with_revision(content: bytes, revision: int) -> bytes:
    """A decision's whole JSON (what `model_dump_json` gives) from its `content_json`: one
    serialisation serves both the digest and the body."""
    return content[:-1] + b',"revision":%d}' % revision


def digest_of(content: bytes) -> bytes:
    return hashlib.blake2b(content, digest_size=16).digest()


def content_digest(decision: TitleDecided) -> bytes:
    """A fingerprint of what a decision says, its revision aside: two decisions with equal
    digests say the same. Facts count in name order, as `to_event` writes them (a decision read
    back from elsewhere may have them in another order)."""
    if list(decision.facts) != sorted(decision.facts):
        decision = decision.model_copy(update={"facts": dict(sorted(decision.facts.items()))})
    return digest_of(content_json(decision))


def _value(value: object) -> float | bool | None:
    if value is None or isinstance(value, bool):
        return value
    return float(value)  # type: ignore[arg-type]


def _observed(value: float | bool | None) -> float | bool | None:
    return round(value, 4) if isinstance(value, float) else value


def to_event(
    evaluation: Evaluation,
    *,
    title: Title,
    entity_id: str,
    year: int,
    effective_from: date,
    revision: int = 1,
    entity_kind: str | None = None,
) -> TitleDecided:
    """The decision event with its whole trace, validated in one go from plain data (pydantic's
    core does it in a single pass; building the nested models one by one costs several times more)."""
    return TitleDecided.model_validate(
        {
            "title": title,
            "entity_kind": entity_kind or ENTITY_KIND_OF[title],
            "entity_id": entity_id,
            "year": year,
            "assessable": evaluation.assessable,
            "missing_facts": evaluation.missing_facts,
            "granted": evaluation.granted,
            "total_points": evaluation.total_points,
            "max_points": evaluation.max_points,
            "threshold": evaluation.threshold,
            "criteria": [
                {
                    "id": c.id,
                    "points": c.points,
                    "max_points": c.max_points,
                    "minimum": c.minimum,
                    "met": c.met,
                    "items": [
                        {
                            "id": i.id,
                            "points": i.points,
                            "max_points": i.max_points,
                            "met": i.met,
                            "observed": _observed(i.observed),
                            "required": i.required,
                        }
                        for i in c.items
                    ],
                }
                for c in evaluation.criteria
            ],
            "unmet": evaluation.unmet,
            "facts": {name: _value(value) for name, value in sorted(evaluation.facts.items())},
            "rule_set_id": evaluation.rule_set_id,
            "rule_version": evaluation.rule_version,
            "rule_effective_from": effective_from,
            "revision": revision,
        }
    )


def next_decision(
    previous: StoredDecision | None, candidate: TitleDecided, digest: bytes
) -> TitleDecided | None:
    """The decision to publish, or None when it says the same as the last one of its series.
    `digest` is the candidate's `content_digest`."""
    if previous is None:
        return candidate.model_copy(update={"revision": 1})
    if previous.digest == digest:
        return None
    return candidate.model_copy(update={"revision": previous.revision + 1})
