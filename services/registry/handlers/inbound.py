"""The Kafka consumer of registry.inbound.v1: facts from government systems."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.consumer import DeadLetter, Outcome, Received, redact_text
from shared.events.inbound import CitizenRegistered

from ..adapters.privacy import NationalIdHasher, redact
from ..domain.applier import Fact, Result, problem_before_applying
from ..domain.scope import Publishers
from .parking import park_row
from .processing import Submission, process
from .rejections import rejection


def entity_key(data: Any) -> str:
    """The key a fact should travel on: the aggregate it changes or joins, so facts that depend on
    each other stay in one partition in order. A citizen registered into a household, a member, a
    clan membership travel with the household; other facts with their own entity."""
    for name in ("household_id", "citizen_id", "clan_id", "unit_id", "hamlet_code", "entity_id", "code"):
        value = getattr(data, name, None)
        if isinstance(value, str):
            return value
    target = getattr(data, "target", None)
    return target.code if target is not None else type(data).__name__


@dataclass
class InboundHandler:
    publishers: Publishers
    hasher: NationalIdHasher
    on_parked: Callable[[], None] = lambda: None

    def submission(self, item: Received[Any]) -> Submission:
        data = item.data
        national_id_hmac = None
        if isinstance(data, CitizenRegistered) and data.national_id is not None:
            national_id_hmac = self.hasher(data.national_id)
            data = data.model_copy(update={"national_id": None})
        publisher = self.publishers.by_source(item.envelope.source)
        key = item.delivery.key.decode("utf-8", "replace") if item.delivery.key else ""
        if not key or redact_text(key, redact) != key:
            key = entity_key(data)  # none, or a personal identifier: the entity's own id instead
        return Submission(
            fact=Fact(data, item.envelope.time, national_id_hmac),
            key=key,
            source=item.envelope.source,
            event_id=item.envelope.id,
            actor=publisher.name if publisher else f"unregistered {item.envelope.source}",
            publisher=publisher,
            delivery=item.delivery,
            envelope=item.envelope,
        )

    async def __call__(self, batch: list[Received[Any]], uow: Any, now: datetime) -> Outcome:
        outcome = Outcome()
        submissions = []
        for item in batch:
            submission = self.submission(item)
            if problem := problem_before_applying(submission.fact, now):
                outcome.dead_letters.append(DeadLetter(item.delivery, "rejected", f"invalid_fact: {problem}", item.envelope))
            else:
                submissions.append(submission)
        if not submissions:
            return outcome
        processed = await process(uow.store, submissions, enforce=self.publishers.enforce, today=now.date())
        outcome.events.extend(processed.events)
        parked: list[dict[str, Any]] = []
        for submission, result in zip(submissions, processed.results, strict=True):
            self._route(submission, result, outcome, parked, now)
        await uow.store.park(parked)
        if parked:
            self.on_parked()
        return outcome

    def _route(self, submission: Submission, result: Result, outcome: Outcome, parked: list[dict[str, Any]], now: datetime) -> None:
        delivery = submission.delivery
        assert delivery is not None
        if result.status == "rejected":
            outcome.dead_letters.append(
                DeadLetter(delivery, "rejected", f"{result.code}: {result.reason}", submission.envelope)
            )
        elif result.status == "stale":
            outcome.events.append(
                rejection(delivery, "stale", result.reason or "", event_id=submission.event_id, source=submission.source,
                          event_type=submission.fact.data.TYPE)
            )
        elif result.status == "waiting":
            parked.append(park_row(submission, result, now, redact))
