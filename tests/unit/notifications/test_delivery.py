"""The deliverer on an in-memory queue and mailer: outcomes, backoff, giving up, interruptions."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from services.notifications.adapters.prometheus import NotificationMetrics
from services.notifications.domain.messages import Email
from services.notifications.handlers import Deliverer, RetryPolicy

from .fakes import FakeMailer, FakeMailQueue, PermanentFailure, TemporaryFailure

T0 = datetime(2025, 1, 10, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def email(key: str = "29401|learning_family|2024|missed") -> Email:
    return Email(key, f"<{key}@test>", "subject", ("a@example.vn",), "text", "<p>html</p>")


def deliverer(queue: FakeMailQueue, mailer: FakeMailer, clock: Clock) -> Deliverer:
    return Deliverer(queue, mailer, metrics=NotificationMetrics(CollectorRegistry()), retry=RetryPolicy(30, 3600, timedelta(hours=72)),
                     per_minute=6000, interval=0.01, clock=clock)


def outcome(d: Deliverer, name: str) -> float:
    return d.metrics.emails.labels(name)._value.get()


async def test_each_queued_email_is_sent_once_and_recorded() -> None:
    queue, mailer, clock = FakeMailQueue(), FakeMailer(), Clock()
    for key in ("a", "b"):
        queue.put(email(key), T0)
    d = deliverer(queue, mailer, clock)
    assert [await d.deliver_one() for _ in range(3)] == [True, True, False]
    assert [e.alert_key for e in mailer.sent] == ["a", "b"]
    assert [i.status for i in queue.items] == ["sent", "sent"] and outcome(d, "sent") == 2


async def test_temporary_failures_back_off_exponentially_then_deliver() -> None:
    queue, mailer, clock = FakeMailQueue(), FakeMailer(), Clock()
    queue.put(email(), T0)
    d = deliverer(queue, mailer, clock)
    mailer.fail_with = TemporaryFailure("421 try later")
    delays = []
    for _ in range(3):
        assert await d.deliver_one() is False
        delays.append((queue.items[0].next_attempt_at - clock.now).total_seconds())
        assert await d.deliver_one() is False, "not retried before its backoff"
        clock.now = queue.items[0].next_attempt_at
    assert delays == [30, 60, 120]
    mailer.fail_with = None
    assert await d.deliver_one() is True
    assert (queue.items[0].status, queue.items[0].attempts, len(mailer.sent)) == ("sent", 4, 1)


async def test_temporary_failures_stop_being_retried_after_the_give_up_period() -> None:
    queue, mailer, clock = FakeMailQueue(), FakeMailer(), Clock()
    queue.put(email(), T0)
    d = deliverer(queue, mailer, clock)
    mailer.fail_with = TemporaryFailure("connection refused")
    clock.now = T0 + timedelta(hours=72)
    await d.deliver_one()
    assert (queue.items[0].status, queue.items[0].failure) == ("failed", "gave_up") and outcome(d, "gave_up") == 1


async def test_a_permanent_refusal_is_recorded_counted_and_never_retried() -> None:
    queue, mailer, clock = FakeMailQueue(), FakeMailer(), Clock()
    queue.put(email(), T0)
    d = deliverer(queue, mailer, clock)
    mailer.fail_with = PermanentFailure("550 no such mailbox")
    assert await d.deliver_one() is True
    clock.now += timedelta(days=10)
    assert await d.deliver_one() is False
    assert (queue.items[0].status, queue.items[0].failure, queue.items[0].last_error) == ("failed", "permanent", "550 no such mailbox")
    await d.measure()
    assert d.metrics.failed._value.get() == 1 and outcome(d, "permanent_failure") == 1


async def test_a_send_whose_outcome_was_never_recorded_is_sent_again_and_reported_as_such() -> None:
    queue, mailer, clock = FakeMailQueue(), FakeMailer(), Clock()
    queue.put(email(), T0)
    d = deliverer(queue, mailer, clock)

    class CrashAfterSending(FakeMailer):
        async def send(self, e: Email):  # type: ignore[no-untyped-def]
            self.sent.append(e)
            raise KeyboardInterrupt  # the process dies before the commit

    crashing = Deliverer(queue, CrashAfterSending(), metrics=d.metrics, retry=d.retry, per_minute=6000, interval=0.01, clock=clock)
    with pytest.raises(KeyboardInterrupt):
        await crashing.deliver_one()
    assert queue.items[0].status == "pending", "nothing recorded: the e-mail is not lost"
    assert await d.deliver_one() is True
    assert outcome(d, "resent_after_interruption") == 1 and mailer.sent[0].message_id == "<29401|learning_family|2024|missed@test>"


async def test_refused_recipients_are_recorded_while_the_others_get_the_email() -> None:
    queue, mailer, clock = FakeMailQueue(), FakeMailer(), Clock()
    queue.put(email(), T0)
    d = deliverer(queue, mailer, clock)
    mailer.refuse = ["b@example.vn: 550 unknown"]
    assert await d.deliver_one() is True
    assert queue.items[0].refused == ["b@example.vn: 550 unknown"] and d.metrics.recipients_refused._value.get() == 1


async def test_a_stop_requested_during_a_send_lets_that_send_finish_and_be_recorded() -> None:
    queue, clock, stopping = FakeMailQueue(), Clock(), asyncio.Event()
    for key in ("a", "b"):
        queue.put(email(key), T0)
    started, release = asyncio.Event(), asyncio.Event()

    class SlowMailer(FakeMailer):
        async def send(self, e: Email):  # type: ignore[no-untyped-def]
            started.set()
            await release.wait()
            return await super().send(e)

    mailer = SlowMailer()
    d = deliverer(queue, mailer, clock)
    loop = asyncio.create_task(d.run(stopping))
    await started.wait()
    stopping.set()
    release.set()
    await asyncio.wait_for(loop, 5)
    assert [i.status for i in queue.items] == ["sent", "pending"]
    assert [e.alert_key for e in mailer.sent] == ["a"]


async def test_an_unexpected_error_while_sending_backs_off_instead_of_blocking_the_queue() -> None:
    queue, mailer, clock = FakeMailQueue(), FakeMailer(), Clock()
    queue.put(email("broken"), T0)
    queue.put(email("fine"), T0 + timedelta(seconds=1))
    d = deliverer(queue, mailer, clock)
    mailer.fail_with = ValueError("a bug")
    assert await d.deliver_one() is False
    mailer.fail_with = None
    clock.now = T0 + timedelta(seconds=5)
    assert await d.deliver_one() is True
    assert [e.alert_key for e in mailer.sent] == ["fine"] and queue.items[0].last_error == "ValueError: a bug"


async def test_the_rate_limit_spaces_sends_even_when_many_are_due() -> None:
    queue, mailer, clock, stopping = FakeMailQueue(), FakeMailer(), Clock(), asyncio.Event()
    for key in ("a", "b", "c"):
        queue.put(email(key), T0)
    d = Deliverer(queue, mailer, metrics=NotificationMetrics(CollectorRegistry()), retry=RetryPolicy(),
                  per_minute=1, interval=0.01, clock=clock)  # one a minute
    loop = asyncio.create_task(d.run(stopping))
    while not mailer.sent:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # without the limit, the other two would go now
    stopping.set()
    await asyncio.wait_for(loop, 5)
    assert [e.alert_key for e in mailer.sent] == ["a"]
