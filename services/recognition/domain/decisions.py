"""Turning an evaluation into a decision, and telling whether a decision changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.events.recognition import CriterionScore, ItemScore, TitleDecided
from shared.events.vocabulary import Title

from .evaluation import Evaluation


@dataclass(frozen=True, slots=True)
class DecisionState:
    """The last decision published for an entity, title and year."""

    title: Title
    entity_id: str
    year: int
    revision: int
    decision: TitleDecided


def to_event(
    evaluation: Evaluation,
    *,
    title: Title,
    entity_kind: str,
    entity_id: str,
    year: int,
    effective_from: date,
    revision: int,
) -> TitleDecided:
    return TitleDecided(
        title=title,
        entity_kind=entity_kind,
        entity_id=entity_id,
        year=year,
        granted=evaluation.granted,
        total_points=evaluation.total_points,
        max_points=evaluation.max_points,
        threshold=evaluation.threshold,
        criteria=tuple(
            CriterionScore(
                id=c.id,
                points=c.points,
                max_points=c.max_points,
                minimum=c.minimum,
                met=c.met,
                items=tuple(
                    ItemScore(
                        id=i.id,
                        points=i.points,
                        max_points=i.max_points,
                        met=i.met,
                        observed=i.observed,
                        required=i.required,
                    )
                    for i in c.items
                ),
            )
            for c in evaluation.criteria
        ),
        unmet=evaluation.unmet,
        rule_set_id=evaluation.rule_set_id,
        rule_version=evaluation.rule_version,
        rule_effective_from=effective_from,
        revision=revision,
    )


def next_decision(previous: DecisionState | None, candidate: TitleDecided) -> TitleDecided | None:
    """The decision to publish, or None when it says the same as the last one published."""
    if previous is None:
        return candidate.model_copy(update={"revision": 1})
    if previous.decision.model_copy(update={"revision": 0}) == candidate.model_copy(update={"revision": 0}):
        return None
    return candidate.model_copy(update={"revision": previous.revision + 1})
