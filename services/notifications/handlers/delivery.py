"""Delivers owed e-mails from the persistent queue: claim, send, record, commit, one at a time.

The guarantee. An e-mail is claimed under a row lock that lives as long as the claiming
transaction, so no other replica can take it while it is being sent, and its outcome is
committed in that same transaction. A graceful stop lets the send in progress finish and be
recorded (the loop only checks for the stop between e-mails), so the normal restart path never
sends anything twice. A crash (or a lost database connection) after the SMTP server accepted a
message and before the commit leaves it pending: it is sent again after the restart, with the
same Message-ID and X-Hoctap-Alert-Key, and counted and logged as `resent_after_interruption`.
That one duplicate is the one SMTP itself cannot rule out (the server's acceptance and our
record cannot be made atomic); nothing is ever lost.

Temporary failures (4xx, connection errors) back off exponentially until `give_up_after` has
passed since the e-mail was created; a permanent refusal (5xx) is recorded as failed, counted and
logged, and never retried (an operator can requeue it after fixing the address).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..adapters.prometheus import NotificationMetrics
from ..domain.messages import Email
from ..ports import Mailer, MailQueue, PermanentFailure, TemporaryFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    give_up_after: timedelta = timedelta(hours=72)

    def delay(self, attempt: int) -> timedelta:
        """Backoff after the `attempt`-th failure (1, 2, ...): base, 2 x base, 4 x base ... capped.

        >>> RetryPolicy(30, 3600).delay(3).total_seconds()
        120.0
        """
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1)))


class Deliverer:
    def __init__(
        self,
        queue: MailQueue,
        mailer: Mailer,
        *,
        metrics: NotificationMetrics,
        retry: RetryPolicy,
        per_minute: int,
        interval: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.queue = queue
        self.mailer = mailer
        self.metrics = metrics
        self.retry = retry
        self.pause = 60.0 / per_minute
        self.interval = interval
        self.clock = clock
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def deliver_one(self) -> bool:
        """Try the oldest due e-mail. True when one was sent or refused for good (go on), False
        when nothing is due or the server failed temporarily (wait)."""
        now = self.clock()
        async with self.queue.claim(now) as claimed:
            if claimed is None:
                return False
            email = claimed.email
            extra = {"alert_key": email.alert_key, "attempt": claimed.attempts + 1}
            if claimed.interrupted:
                self.metrics.emails.labels("resent_after_interruption").inc()
                log.warning("a previous attempt was interrupted before its outcome was recorded; sending again "
                            "with the same Message-ID (the receiver may see it twice)", extra=extra)
            try:
                refused = await self._send(email, extra)
            except TemporaryFailure as error:
                if now - claimed.created_at >= self.retry.give_up_after:
                    await claimed.failed(f"gave up: {error}", gave_up=True)
                    self.metrics.emails.labels("gave_up").inc()
                    log.error("e-mail still failing; giving up", extra={**extra, "error": str(error)})
                else:
                    delay = self.retry.delay(claimed.attempts + 1)
                    await claimed.retry(now + delay, str(error))
                    self.metrics.emails.labels("temporary_failure").inc()
                    log.warning("e-mail delivery failed; will retry",
                                extra={**extra, "error": str(error), "retry_in_seconds": delay.total_seconds()})
                return False
            except PermanentFailure as error:
                await claimed.failed(str(error), gave_up=False)
                self.metrics.emails.labels("permanent_failure").inc()
                log.error("e-mail refused permanently; not retried", extra={**extra, "error": str(error)})
                return True
            await claimed.sent(self.clock(), refused)
            self.metrics.emails.labels("sent").inc()
            if refused:
                self.metrics.recipients_refused.inc(len(refused))
                log.warning("some recipients were refused", extra={**extra, "refused": "; ".join(refused)})
            log.info("e-mail sent", extra={**extra, "recipients": len(email.recipients)})
            return True

    async def _send(self, email: Email, extra: dict[str, object]) -> Sequence[str]:
        try:
            return await self.mailer.send(email)
        except (TemporaryFailure, PermanentFailure):
            raise
        except Exception as error:
            # A bug or an unforeseen error must not pin this e-mail at the head of the queue: it
            # backs off like a temporary failure. A crash (BaseException) still leaves it pending.
            log.exception("unexpected error while sending; will retry", extra=extra)
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error

    async def measure(self) -> None:
        stats = await self.queue.stats()
        self.metrics.pending.set(stats.pending)
        self.metrics.failed.set(stats.failed)
        oldest = stats.oldest_pending
        self.metrics.oldest_pending_age.set(max(0.0, (self.clock() - oldest).total_seconds()) if oldest else 0.0)

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until stopped. The stop is looked at only between e-mails, never during one."""
        while not stopping.is_set():
            try:
                while not stopping.is_set() and await self.deliver_one():
                    await _wait(stopping, self.pause)  # the rate limit
                await self.measure()
            except Exception:
                log.exception("delivery pass failed; will retry")
            self._wakeup.clear()
            waiters = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stopping.wait())]
            _, pending = await asyncio.wait(waiters, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in pending:
                waiter.cancel()


async def _wait(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
