"""Recognition use cases: evaluate Learning Family when a household's evidence arrives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.consumer import DeadLetter, Outcome, Received
from shared.events.catalogue import RECOGNITION_DECISIONS
from shared.events.registry import FamilyEvidenceRecorded
from shared.events.vocabulary import Title
from shared.outbox import Outgoing

from .domain.decisions import DecisionState, next_decision, to_event
from .domain.evaluation import evaluate
from .domain.rule_book import RuleBook
from .ports import RecognitionUnitOfWork


@dataclass(frozen=True)
class EvidenceHandler:
    rule_book: RuleBook

    async def __call__(self, batch: list[Received[Any]], uow: RecognitionUnitOfWork, now: datetime) -> Outcome:
        outcome = Outcome()
        latest: dict[tuple[str, int], Received[FamilyEvidenceRecorded]] = {}
        for item in batch:
            data: FamilyEvidenceRecorded = item.data
            key = (data.household_id, data.year)
            if key not in latest or latest[key].data.version < data.version:
                latest[key] = item
        stored_versions = await uow.evidence.versions(latest)
        fresh = {k: v for k, v in latest.items() if stored_versions.get(k, 0) < v.data.version}
        if not fresh:
            return outcome
        previous = await uow.decisions.get_many(Title.LEARNING_FAMILY, fresh)
        changed: list[DecisionState] = []
        for key, item in list(fresh.items()):
            data = item.data
            rule_set = self.rule_book.for_year(Title.LEARNING_FAMILY, data.year)
            if rule_set is None:
                outcome.dead_letters.append(
                    DeadLetter(
                        item.delivery,
                        "rejected",
                        f"no learning_family rule set is in force for {data.year}",
                        item.envelope,
                    )
                )
                del fresh[key]
                continue
            evaluation = evaluate(rule_set, data.evidence.model_dump())
            candidate = to_event(
                evaluation,
                title=Title.LEARNING_FAMILY,
                entity_kind="household",
                entity_id=data.household_id,
                year=data.year,
                effective_from=rule_set.effective.from_,
                revision=1,
            )
            decision = next_decision(previous.get(key), candidate)
            if decision is None:
                continue
            changed.append(DecisionState(Title.LEARNING_FAMILY, data.household_id, data.year, decision.revision, decision))
            outcome.events.append(
                Outgoing(
                    topic=RECOGNITION_DECISIONS,
                    key=data.household_id,
                    data=decision,
                    id_seed=f"recognition/{Title.LEARNING_FAMILY.value}/{data.household_id}/{data.year}/{decision.revision}",
                    correlation_id=item.envelope.correlation_id or item.envelope.id,
                )
            )
        await uow.evidence.save_many(
            [(k[0], k[1], v.data.evidence, v.data.version) for k, v in fresh.items()]
        )
        await uow.decisions.save_many(changed)
        return outcome
