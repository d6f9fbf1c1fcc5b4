"""Facts waiting for what they refer to (a member before its household).

Policy: a fact whose reference is unknown is parked, not refused. Parked facts are retried in
arrival order every `park_retry_seconds` (and soon after a batch parks some): one pass walks every
parked fact once, a page at a time, so facts that keep waiting never starve the others or spin. When one finally applies, the
entity's newest fact time decides: if a later fact already changed the entity, the parked one is
stale and changes nothing. A fact still waiting after `park_seconds` (default one hour) is
refused with reason `expired_waiting`: dead-lettered and announced to its publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shared.consumer import IDENTIFYING_HEADERS, DeadLetter, Delivery, dead_letter_record, redact_text
from shared.events.catalogue import REGISTRY_INBOUND
from shared.outbox import encode

from ..adapters.db import PARKED
from ..adapters.privacy import redact
from ..domain.applier import Fact, Result
from ..domain.scope import Publishers
from .processing import Submission, audit_entry, process
from .rejections import rejection

log = logging.getLogger(__name__)
LOCK = zlib.crc32(b"hoctap-registry-parking")


def park_row(submission: Submission, result: Result, now: datetime, scrub: Callable[[bytes], bytes]) -> dict[str, Any]:
    delivery = submission.delivery
    return {
        "entity_key": submission.key,
        "event_type": submission.fact.data.TYPE,
        "source": submission.source,
        "event_id": submission.event_id,
        "fact_time": submission.fact.at,
        "data": submission.fact.data.model_dump(mode="json"),
        "national_id_hmac": submission.fact.national_id_hmac,
        "actor": submission.actor,
        "waiting_for": result.waiting_for or "",
        "topic": delivery.topic if delivery else None,
        "partition": delivery.partition if delivery else None,
        "offset": delivery.offset if delivery else None,
        "record_key": scrub(delivery.key) if delivery and delivery.key else None,
        "record_value": scrub(delivery.value) if delivery and delivery.value else None,
        # PostgreSQL text refuses NUL, which a Kafka header name may carry; a name is scrubbed too
        # (a careless publisher may name a header after a person).
        "header_names": [redact_text(k, scrub).replace("\x00", "\ufffd") for k, _ in delivery.headers] if delivery else [],
        "header_values": [v or b"" if k in IDENTIFYING_HEADERS else scrub(v or b"") for k, v in delivery.headers] if delivery else [],
        "parked_at": now,
    }


class ParkedFacts:
    def __init__(
        self,
        unit_of_work: Callable[[], Any],
        publishers: Publishers,
        *,
        park_seconds: float,
        retry_seconds: float,
        batch_size: int = 500,
        min_interval_seconds: float = 0.5,
        clock: Callable[[], datetime],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.publishers = publishers
        self.park_seconds = park_seconds
        self.retry_seconds = retry_seconds
        self.batch_size = batch_size
        self.min_interval_seconds = min(min_interval_seconds, retry_seconds)
        self.clock = clock
        self.on_change = on_change
        self._wakeup = asyncio.Event()
        self.types = REGISTRY_INBOUND.types_by_name()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            self._wakeup.clear()
            try:
                await self.retry_pass()
            except Exception:
                log.exception("retrying parked facts failed; will try again")
            # A short pause even when woken: parking comes in bursts, and a pass costs one read
            # of every parked fact.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self.min_interval_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.retry_seconds)

    async def retry_pass(self) -> int:
        """Retry every parked fact once, oldest first; returns how many were looked at."""
        seen, after = 0, 0
        while True:
            count, after = await self.retry_once(after)
            seen += count
            if count < self.batch_size:
                return seen

    async def retry_once(self, after_id: int = 0) -> tuple[int, int]:
        """Retry up to one page of parked facts with ids above `after_id`; returns how many were
        looked at and the last id (0 rows if another replica holds the parking lock)."""
        now = self.clock()
        async with self.unit_of_work() as uow:
            connection = uow.store.connection
            if not await connection.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(LOCK))):
                return 0, after_id
            query = sa.select(PARKED).where(PARKED.c.id > after_id).order_by(PARKED.c.id).limit(self.batch_size)
            rows = list(await connection.execute(query))
            if not rows:
                return 0, after_id
            submissions = [self._submission(row) for row in rows]
            processed = await process(uow.store, submissions, enforce=self.publishers.enforce, today=now.date(),
                                      audit_waiting=False)
            records = [encode(event, source="/hoctap/registry", now=now) for event in processed.events]
            done, retry, expired_entries = [], [], []
            for row, submission, result in zip(rows, submissions, processed.results, strict=True):
                expired = row.parked_at + timedelta(seconds=self.park_seconds) <= now
                if result.status == "waiting" and not expired:
                    retry.append(row.id)
                    continue
                done.append(row.id)
                if result.status == "waiting":
                    result = Result("rejected", "expired_waiting",
                                    f"waited {self.park_seconds:.0f} s for {result.waiting_for}, which never arrived")
                    expired_entries.append(audit_entry(submission, result))
                records += self._refusal_records(row, result, now)
            if done:
                await connection.execute(PARKED.delete().where(PARKED.c.id.in_(done)))
            if retry:
                await connection.execute(PARKED.update().where(PARKED.c.id.in_(retry)).values(attempts=PARKED.c.attempts + 1))
            await uow.store.audit(expired_entries)
            await uow.outbox.add(records)
            await uow.commit()
        if records:
            self.on_change()
        return len(rows), rows[-1].id

    def _submission(self, row: Any) -> Submission:
        data = self.types[row.event_type].model_validate(row.data)
        return Submission(
            fact=Fact(data, row.fact_time, row.national_id_hmac),
            key=row.entity_key,
            source=row.source,
            event_id=row.event_id,
            actor=row.actor,
            publisher=self.publishers.by_source(row.source) or self.publishers.by_name(row.actor),
        )

    def _refusal_records(self, row: Any, result: Result, now: datetime) -> list[Any]:
        if result.status not in ("rejected", "stale"):
            return []
        delivery = Delivery(
            row.topic or "http", row.partition or 0, row.offset or 0, row.record_key, row.record_value,
            tuple(zip(row.header_names, row.header_values, strict=True)),
        )
        notice = rejection(delivery, result.code or "rejected", result.reason or "", event_id=row.event_id,
                           source=row.source, event_type=row.event_type)
        records = [encode(notice, source="/hoctap/registry", now=now)]
        if result.status == "rejected" and row.topic:
            letter = DeadLetter(delivery, "rejected", f"{result.code}: {result.reason}")
            records.append(dead_letter_record(letter, service="registry", now=now, redact=redact))
        return records
