"""Notifications use cases: keep the latest figures, judge them after the cut-off, deliver e-mails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.consumer import Outcome, Received
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title

from .adapters.db import ALERTS, INDICATORS
from .adapters.smtp import PermanentFailure, TemporaryFailure
from .domain.agencies import Directory
from .domain.messages import Email, growth_missed_email
from shared.programme import Programme
from .domain.verdicts import Figures, Verdict, assess_growth
from .ports import Mailer

log = logging.getLogger(__name__)


async def on_indicators(batch: list[Received[Any]], uow: Any, now: datetime) -> Outcome:
    latest: dict[tuple[str, int, str, str], IndicatorChanged] = {}
    for item in batch:
        data: IndicatorChanged = item.data
        key = (data.title.value, data.year, data.level.value, data.area_code)
        if key not in latest or latest[key].revision < data.revision:
            latest[key] = data
    await uow.indicators.save_latest(
        [
            {
                "title": d.title.value,
                "year": d.year,
                "level": d.level.value,
                "area_code": d.area_code,
                "area_name": d.area_name,
                "parent_code": d.parent_code,
                "total": d.total,
                "registered": d.registered,
                "recognised": d.recognised,
                "revision": d.revision,
                "received_at": now,
            }
            for d in latest.values()
        ]
    )
    return Outcome()


class NotificationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.alerts = Counter(
            "hoctap_notifications_alerts_total", "Alerts created, by verdict and routing.", ["verdict", "routed"], registry=registry
        )
        self.emails = Counter(
            "hoctap_notifications_emails_total",
            "E-mail delivery attempts, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.pending = Gauge("hoctap_notifications_emails_pending", "Alert e-mails not yet delivered.", registry=registry)
        for outcome in ("sent", "temporary_failure", "permanent_failure", "gave_up"):
            self.emails.labels(outcome)
        for verdict in Verdict:
            for routed in ("yes", "no"):
                self.alerts.labels(verdict.value, routed)


def cutoff_passed(year: int, now: datetime, *, cutoff: str, zone: str) -> bool:
    """True once the yearly reporting cut-off (MM-DD, local time) of `year` has passed."""
    month, day = (int(part) for part in cutoff.split("-"))
    moment = datetime.combine(date(year, month, day), time(0), ZoneInfo(zone))
    return now >= moment


class GrowthEvaluator:
    """After the cut-off, judges each area's growth once its figures have settled."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        programme: Programme,
        directory: Directory,
        metrics: NotificationMetrics,
        cutoff: str,
        zone: str,
        settle: timedelta,
        interval: float,
        message_domain: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_alert: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.programme = programme
        self.directory = directory
        self.metrics = metrics
        self.cutoff = cutoff
        self.zone = zone
        self.settle = settle
        self.interval = interval
        self.message_domain = message_domain
        self.clock = clock
        self.on_alert = on_alert

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("evaluation failed; will retry")
            try:
                await asyncio.wait_for(stopping.wait(), timeout=self.interval)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        now = self.clock()
        settled = now - self.settle
        current, previous = INDICATORS.alias("current"), INDICATORS.alias("previous")
        query = (
            sa.select(current, previous.c.total.label("p_total"), previous.c.registered.label("p_registered"),
                      previous.c.recognised.label("p_recognised"), previous.c.revision.label("p_revision"))
            .join(
                previous,
                sa.and_(
                    previous.c.title == current.c.title,
                    previous.c.level == current.c.level,
                    previous.c.area_code == current.c.area_code,
                    previous.c.year == current.c.year - 1,
                ),
            )
            .where(
                current.c.level.in_([Level.COMMUNE.value, Level.PROVINCE.value]),
                current.c.received_at <= settled,
                previous.c.received_at <= settled,
                sa.func.coalesce(current.c.evaluated, "")
                != sa.cast(current.c.revision, sa.Text) + ":" + sa.cast(previous.c.revision, sa.Text),
            )
        )
        created = 0
        async with self.engine.begin() as connection:
            rows = (await connection.execute(query)).all()
            for row in rows:
                if not cutoff_passed(row.year, now, cutoff=self.cutoff, zone=self.zone):
                    continue
                created += await self._judge(connection, row, now)
                await connection.execute(
                    INDICATORS.update()
                    .where(
                        INDICATORS.c.title == row.title,
                        INDICATORS.c.year == row.year,
                        INDICATORS.c.level == row.level,
                        INDICATORS.c.area_code == row.area_code,
                    )
                    .values(evaluated=f"{row.revision}:{row.p_revision}")
                )
        if created and self.on_alert:
            self.on_alert()
        return created

    async def _judge(self, connection: Any, row: Any, now: datetime) -> int:
        title = Title(row.title)
        target = self.programme.target(title)
        if target is None or Level(row.level) not in target.levels:
            return 0
        current = Figures(title, row.year, Level(row.level), row.area_code, row.area_name,
                          row.total, row.registered, row.recognised, row.revision)
        previous = Figures(title, row.year - 1, Level(row.level), row.area_code, row.area_name,
                           row.p_total, row.p_registered, row.p_recognised, row.p_revision)
        assessment = assess_growth(current, previous, target)
        if assessment is None or assessment.verdict is not Verdict.MISSED:
            return 0
        agency = self.directory.for_area(row.area_code)
        values: dict[str, Any] = {
            "alert_key": assessment.alert_key,
            "title": title.value,
            "year": row.year,
            "level": row.level,
            "area_code": row.area_code,
            "verdict": assessment.verdict.value,
            "created_at": now,
            "next_attempt_at": now,
        }
        if agency is None:
            log.warning("no agency answers for this area; alert recorded, not sent", extra={"area": row.area_code})
            values.update(agency_id=None, status="unrouted", recipients=[], message_id="", subject="",
                          body_text="", body_html="")
        else:
            email = growth_missed_email(assessment, agency, programme=self.programme.name, domain=self.message_domain)
            values.update(agency_id=agency.id, status="pending", recipients=list(email.recipients),
                          message_id=email.message_id, subject=email.subject, body_text=email.text,
                          body_html=email.html)
        inserted = await connection.execute(
            postgresql.insert(ALERTS).values(**values).on_conflict_do_nothing(index_elements=["alert_key"]).returning(ALERTS.c.id)
        )
        if inserted.first() is None:
            return 0
        self.metrics.alerts.labels(assessment.verdict.value, "yes" if agency else "no").inc()
        log.info("alert created", extra={"alert_key": assessment.alert_key, "agency": agency.id if agency else None})
        return 1


class Deliverer:
    """Sends pending alert e-mails one at a time: claim, send, record, commit.

    A crash between the SMTP server's acceptance and the commit sends that one e-mail again on
    restart, with the same Message-ID (receivers and the sink can drop it). No other path resends.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        mailer: Mailer,
        *,
        metrics: NotificationMetrics,
        interval: float,
        per_minute: int,
        max_attempts: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.mailer = mailer
        self.metrics = metrics
        self.interval = interval
        self.pause = 60.0 / per_minute
        self.max_attempts = max_attempts
        self.clock = clock
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                while not stopping.is_set() and await self.deliver_one():
                    await asyncio.sleep(self.pause)
                await self._update_pending()
            except Exception:
                log.exception("delivery failed; will retry")
            self._wakeup.clear()
            waiters = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stopping.wait())]
            _, pending = await asyncio.wait(waiters, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in pending:
                waiter.cancel()

    async def _update_pending(self) -> None:
        async with self.engine.connect() as connection:
            count = await connection.scalar(
                sa.select(sa.func.count()).select_from(ALERTS).where(ALERTS.c.status == "pending")
            )
        self.metrics.pending.set(count or 0)

    async def deliver_one(self) -> bool:
        """Deliver the oldest due e-mail; False when none is due."""
        now = self.clock()
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    sa.select(ALERTS)
                    .where(ALERTS.c.status == "pending", ALERTS.c.next_attempt_at <= now)
                    .order_by(ALERTS.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if row is None:
                return False
            email = Email(row.alert_key, row.message_id, row.subject, tuple(row.recipients), row.body_text, row.body_html)
            attempts = row.attempts + 1
            update = ALERTS.update().where(ALERTS.c.id == row.id)
            try:
                await self.mailer.send(email)
            except TemporaryFailure as error:
                gave_up = attempts >= self.max_attempts
                delay = min(3600.0, 15.0 * 2 ** (attempts - 1))
                await connection.execute(
                    update.values(
                        attempts=attempts,
                        status="failed" if gave_up else "pending",
                        next_attempt_at=now + timedelta(seconds=delay),
                        last_error=str(error)[:1000],
                    )
                )
                self.metrics.emails.labels("gave_up" if gave_up else "temporary_failure").inc()
                log.warning("e-mail delivery failed; will retry", extra={"alert_key": row.alert_key, "error": str(error)})
                return False
            except PermanentFailure as error:
                await connection.execute(update.values(attempts=attempts, status="failed", last_error=str(error)[:1000]))
                self.metrics.emails.labels("permanent_failure").inc()
                log.error("e-mail refused permanently", extra={"alert_key": row.alert_key, "error": str(error)})
                return True
            await connection.execute(update.values(attempts=attempts, status="sent", sent_at=self.clock(), last_error=None))
            self.metrics.emails.labels("sent").inc()
            log.info("alert e-mail sent", extra={"alert_key": row.alert_key, "recipients": len(email.recipients)})
            return True
