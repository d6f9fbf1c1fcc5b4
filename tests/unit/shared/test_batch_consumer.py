from datetime import datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import OperationalError

from shared.consumer import BatchConsumer, Outcome, Received
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_INBOUND
from shared.events.inbound import HouseholdRegistered
from shared.observability import ServiceMetrics
from shared.testing import FakeRecord, FakeUnitOfWork, record_of


def household(n: int) -> HouseholdRegistered:
    return HouseholdRegistered(household_id=f"hh-{n}", hamlet_code="29398-01", registered_on="2020-01-01")


class RecordingHandler:
    def __init__(self, fail_on: set[str] | None = None, error: Exception | None = None) -> None:
        self.seen: list[str] = []
        self.fail_on = fail_on or set()
        self.error = error

    async def __call__(self, batch: list[Received[Any]], uow: Any, now: datetime) -> Outcome:
        ids = [item.data.household_id for item in batch]
        if self.error is not None:
            raise self.error
        if self.fail_on & set(ids):
            raise ValueError(f"cannot handle {sorted(self.fail_on & set(ids))}")
        self.seen.extend(ids)
        return Outcome()


def consumer_with(handler: RecordingHandler, uow: FakeUnitOfWork, registry: CollectorRegistry) -> BatchConsumer:
    return BatchConsumer(
        service="registry",
        topic=REGISTRY_INBOUND.name,
        accepted=REGISTRY_INBOUND.types_by_name(),
        handler=handler,
        unit_of_work=lambda: uow,
        metrics=ServiceMetrics("registry", registry),
        max_backoff_seconds=0.01,
    )


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def test_a_poison_record_goes_to_the_dead_letter_topic_and_the_rest_is_processed() -> None:
    uow, registry, handler = FakeUnitOfWork(), CollectorRegistry(), RecordingHandler()
    poison = FakeRecord(REGISTRY_INBOUND.name, b"{not json", b"bad", offset=1)
    await consumer_with(handler, uow, registry)([record_of(REGISTRY_INBOUND, "hh-1", household(1)), poison, record_of(REGISTRY_INBOUND, "hh-2", household(2), offset=2)])

    assert handler.seen == ["hh-1", "hh-2"]
    [letter] = uow.outbox.on(DEAD_LETTERS["registry"].name)
    assert letter.value == b"{not json" and letter.key == b"bad"
    assert letter.header("hoctap_dlq_reason_code") == b"malformed_envelope"
    assert b"ce_id" in letter.header("hoctap_dlq_reason")  # type: ignore[operator]
    assert letter.header("hoctap_dlq_offset") == b"1"
    assert uow.commits == 1
    assert sample(registry, "hoctap_registry_dead_letters_total", topic=REGISTRY_INBOUND.name, reason="malformed_envelope") == 1


async def test_a_redelivered_batch_changes_nothing() -> None:
    uow, registry, handler = FakeUnitOfWork(), CollectorRegistry(), RecordingHandler()
    consumer = consumer_with(handler, uow, registry)
    batch = [record_of(REGISTRY_INBOUND, "hh-1", household(1), seed="same-1"), FakeRecord(REGISTRY_INBOUND.name, b"x", offset=5)]
    await consumer(batch)
    await consumer(batch)

    assert handler.seen == ["hh-1"]
    assert len(uow.outbox.on(DEAD_LETTERS["registry"].name)) == 1
    assert sample(registry, "hoctap_registry_events_consumed_total", topic=REGISTRY_INBOUND.name, outcome="duplicate") == 2


async def test_the_same_event_twice_in_one_batch_is_handled_once() -> None:
    uow, handler = FakeUnitOfWork(), RecordingHandler()
    record = record_of(REGISTRY_INBOUND, "hh-1", household(1), seed="twice")
    await consumer_with(handler, uow, CollectorRegistry())([record, record])
    assert handler.seen == ["hh-1"]


async def test_a_record_that_breaks_the_handler_is_isolated_and_dead_lettered() -> None:
    uow, handler = FakeUnitOfWork(), RecordingHandler(fail_on={"hh-2"})
    records = [record_of(REGISTRY_INBOUND, f"hh-{n}", household(n), offset=n) for n in (1, 2, 3)]
    await consumer_with(handler, uow, CollectorRegistry())(records)

    assert handler.seen == ["hh-1", "hh-3"]
    [letter] = uow.outbox.on(DEAD_LETTERS["registry"].name)
    assert letter.key == b"hh-2"
    assert letter.header("hoctap_dlq_reason_code") == b"processing_error"
    assert b"ValueError" in letter.header("hoctap_dlq_reason")  # type: ignore[operator]


async def test_a_database_outage_is_raised_so_the_batch_is_read_again_and_nothing_is_committed() -> None:
    uow = FakeUnitOfWork()
    outage = OperationalError("select 1", {}, ConnectionRefusedError("connection refused"))
    consumer = consumer_with(RecordingHandler(error=outage), uow, CollectorRegistry())
    with pytest.raises(OperationalError):
        await consumer([record_of(REGISTRY_INBOUND, "hh-1", household(1))])
    assert uow.commits == 0
    assert uow.inbox.seen == set()
    assert uow.outbox.records == []


class EchoingHandler:
    """Emits one household snapshot-like event per fact (any event of a topic will do)."""

    async def __call__(self, batch: list[Received[Any]], uow: Any, now: datetime) -> Outcome:
        from shared.outbox import Outgoing

        return Outcome(events=[Outgoing(REGISTRY_INBOUND, item.data.household_id, item.data) for item in batch])


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_what_a_batch_emits_carries_the_entry_time_of_its_oldest_inbound_fact() -> None:
    uow = FakeUnitOfWork()
    consumer = BatchConsumer(
        service="registry", topic=REGISTRY_INBOUND.name, accepted=REGISTRY_INBOUND.types_by_name(),
        handler=EchoingHandler(), unit_of_work=lambda: uow, metrics=ServiceMetrics("registry", CollectorRegistry()),
    )
    older = int(moment("2026-11-28T01:00:00+00:00").timestamp() * 1000)
    newer = int(moment("2026-11-28T01:00:05+00:00").timestamp() * 1000)
    await consumer([
        record_of(REGISTRY_INBOUND, "hh-1", household(1), timestamp=newer, offset=1),
        record_of(REGISTRY_INBOUND, "hh-2", household(2), timestamp=older, offset=2),
    ])

    emitted = uow.outbox.on(REGISTRY_INBOUND.name)
    assert len(emitted) == 2
    assert {r.header("ce_origintime") for r in emitted} == {b"2026-11-28T01:00:00Z"}


async def test_an_origin_carried_by_an_upstream_service_wins_over_the_record_timestamp() -> None:
    uow = FakeUnitOfWork()
    consumer = BatchConsumer(
        service="registry", topic=REGISTRY_INBOUND.name, accepted=REGISTRY_INBOUND.types_by_name(),
        handler=EchoingHandler(), unit_of_work=lambda: uow, metrics=ServiceMetrics("registry", CollectorRegistry()),
    )
    relayed_at = int(moment("2026-11-28T02:00:00+00:00").timestamp() * 1000)
    await consumer([record_of(REGISTRY_INBOUND, "hh-1", household(1), timestamp=relayed_at,
                              origin_time=moment("2026-11-28T01:59:58.500000+00:00"))])

    [emitted] = uow.outbox.on(REGISTRY_INBOUND.name)
    assert emitted.header("ce_origintime") == b"2026-11-28T01:59:58.500000Z"


async def test_each_consumed_event_s_age_since_it_entered_hoctap_is_observed_at_commit() -> None:
    uow, registry = FakeUnitOfWork(), CollectorRegistry()
    consumer = BatchConsumer(
        service="registry", topic=REGISTRY_INBOUND.name, accepted=REGISTRY_INBOUND.types_by_name(),
        handler=RecordingHandler(), unit_of_work=lambda: uow, metrics=ServiceMetrics("registry", registry),
        clock=lambda: moment("2026-11-28T01:00:01.200000+00:00"),
    )
    entered = int(moment("2026-11-28T01:00:00+00:00").timestamp() * 1000)
    await consumer([record_of(REGISTRY_INBOUND, f"hh-{n}", household(n), timestamp=entered, offset=n) for n in (1, 2)])

    labels = {"topic": REGISTRY_INBOUND.name}
    assert registry.get_sample_value("hoctap_registry_event_age_seconds_count", labels) == 2
    assert registry.get_sample_value("hoctap_registry_event_age_seconds_sum", labels) == pytest.approx(2.4)
    assert registry.get_sample_value("hoctap_registry_event_age_seconds_bucket", {**labels, "le": "1.0"}) == 0
    assert registry.get_sample_value("hoctap_registry_event_age_seconds_bucket", {**labels, "le": "1.25"}) == 2


class RejectingHandler(RecordingHandler):
    """Handles every fact again when it comes again (its effects are keyed by version) and
    rejects one household."""

    def __init__(self, reject: str) -> None:
        super().__init__()
        self.reject = reject

    async def __call__(self, batch: list[Received[Any]], uow: Any, now: datetime) -> Outcome:
        from shared.consumer import DeadLetter

        await super().__call__(batch, uow, now)
        return Outcome(dead_letters=[DeadLetter(item.delivery, "rejected", "no such hamlet", item.envelope)
                                     for item in batch if item.data.household_id == self.reject])


async def test_an_idempotent_handler_s_events_skip_the_inbox_but_its_dead_letters_are_published_once() -> None:
    uow, registry, handler = FakeUnitOfWork(), CollectorRegistry(), RejectingHandler(reject="hh-2")
    consumer = BatchConsumer(
        service="registry", topic=REGISTRY_INBOUND.name, accepted=REGISTRY_INBOUND.types_by_name(),
        handler=handler, unit_of_work=lambda: uow, metrics=ServiceMetrics("registry", registry), idempotent=True,
    )
    fact = record_of(REGISTRY_INBOUND, "hh-1", household(1), seed="same-1")
    rejected = record_of(REGISTRY_INBOUND, "hh-2", household(2), seed="same-2", offset=1)
    poison = FakeRecord(REGISTRY_INBOUND.name, b"x", offset=5)
    await consumer([fact, fact, rejected, poison])
    await consumer([fact, rejected, poison])  # redelivered

    assert handler.seen == ["hh-1", "hh-2", "hh-1", "hh-2"], "once per batch, again when redelivered"
    letters = uow.outbox.on(DEAD_LETTERS["registry"].name)
    assert sorted(letter.header("hoctap_dlq_reason_code") for letter in letters) == [b"malformed_envelope", b"rejected"]
    assert len(uow.inbox.seen) == 2, "only the dead letters were marked"
    consumed = "hoctap_registry_events_consumed_total"
    assert sample(registry, consumed, topic=REGISTRY_INBOUND.name, outcome="processed") == 2
    assert sample(registry, consumed, topic=REGISTRY_INBOUND.name, outcome="dead_lettered") == 2
    assert sample(registry, consumed, topic=REGISTRY_INBOUND.name, outcome="duplicate") == 3
