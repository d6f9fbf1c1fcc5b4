"""Notifications composition root: the indicator consumer, the evaluator, the SMTP deliverer, the API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query

from shared.events.catalogue import METRICS_INDICATORS
from shared.events.metrics import IndicatorChanged
from shared.events.vocabulary import Level, Title
from shared.http import UNAUTHORISED, load_readers, service_app
from shared.programme import load_programme
from shared.runtime import ServiceRuntime

from .adapters.config_files import load_directory
from .adapters.db import OUTBOX
from .adapters.prometheus import NotificationMetrics
from .adapters.queries import list_alerts, list_verdicts
from .adapters.queue import SqlMailQueue
from .adapters.smtp import SmtpMailer
from .adapters.stores import EvaluationSqlUnitOfWork, NotificationsSqlUnitOfWork
from .domain.messages import Context
from .handlers import Deliverer, Evaluator, Policy, RetryPolicy, on_indicators
from .ports import Mailer
from .settings import NotificationsSettings

VERSION = "0.2.0"


def build_policy(settings: NotificationsSettings) -> Policy:
    """Targets, agencies and calendar from configuration; a bad file stops the start with a clear error."""
    programme = load_programme(settings.programme_file)
    return Policy(
        programme=programme,
        directory=load_directory(settings.agencies_file),
        calendar=settings.calendar(),
        context=Context(programme=programme.name, calendar=settings.calendar(), domain=settings.message_id_domain),
        settle=timedelta(seconds=settings.settle_seconds),
        escalate_after=timedelta(days=settings.escalation_days),
        lowest_children=settings.lowest_children,
    )


@dataclass(frozen=True, slots=True)
class Notifications:
    runtime: ServiceRuntime
    evaluator: Evaluator
    deliverer: Deliverer


def build_service(
    settings: NotificationsSettings,
    *,
    mailer: Mailer | None = None,
    unit_of_work: Callable[[], Any] | None = None,
    **overrides: Any,
) -> Notifications:
    """The consumer and the two loops; tests pass an in-memory `unit_of_work` or another `mailer`."""
    if settings.smtp_username:
        settings.refuse_placeholder("smtp_password", settings.smtp_password)
    policy = build_policy(settings)
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)
    metrics = NotificationMetrics(runtime.registry)
    deliverer = Deliverer(
        SqlMailQueue(runtime.engine),
        mailer or SmtpMailer(settings),
        metrics=metrics,
        retry=RetryPolicy(settings.retry_base_seconds, settings.retry_max_seconds, timedelta(hours=settings.give_up_after_hours)),
        per_minute=settings.max_emails_per_minute,
        interval=settings.deliver_interval_seconds,
        clock=runtime.clock,
    )
    evaluator = Evaluator(
        lambda: EvaluationSqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel, schema=settings.database_schema),
        policy,
        metrics=metrics,
        interval=settings.evaluate_interval_seconds,
        clock=runtime.clock,
        on_notices=deliverer.wake,
    )
    runtime.consume(
        METRICS_INDICATORS,
        on_indicators,
        unit_of_work or (lambda: NotificationsSqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel)),
        accepted=METRICS_INDICATORS.accepting(IndicatorChanged),
    )
    runtime.subscribe()
    runtime.add_loop(evaluator.run)
    runtime.add_loop(deliverer.run)
    return Notifications(runtime, evaluator, deliverer)


def build_runtime(settings: NotificationsSettings, **overrides: Any) -> ServiceRuntime:
    return build_service(settings, **overrides).runtime


def build_app(settings: NotificationsSettings | None = None, **overrides: Any) -> FastAPI:
    settings = settings or NotificationsSettings()
    service = build_service(settings, **overrides)
    runtime = service.runtime
    app = service_app(
        service="notifications",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        description="Judges growth targets and e-mails the responsible agencies: once per area, title, year and verdict.",
    )
    app.state.runtime = runtime
    app.state.evaluator = service.evaluator
    app.state.deliverer = service.deliverer

    # Alerts name agencies, their addresses' delivery errors and message ids: readers only.
    needs_reader = [Depends(load_readers(settings.readers_file).dependency())]

    @app.get("/v1/alerts", tags=["alerts"], dependencies=needs_reader, responses=UNAUTHORISED)
    async def alerts(
        kind: Literal["area", "digest"] | None = None,
        status: Literal["pending", "sent", "failed", "unrouted", "covered"] | None = None,
        title: Title | None = None,
        year: int | None = Query(default=None, ge=2000, le=2100),
        area_code: str | None = Query(default=None, max_length=32),
        limit: int = Query(default=1000, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        """Notices (area notices and digests) with their delivery status."""
        filters = {"kind": kind, "status": status, "title": title.value if title else None, "year": year, "area_code": area_code}
        return await list_alerts(runtime.engine, filters, limit)

    @app.get("/v1/verdicts", tags=["alerts"], dependencies=needs_reader, responses=UNAUTHORISED)
    async def verdicts(
        title: Title | None = None,
        year: int | None = Query(default=None, ge=2000, le=2100),
        level: Level | None = None,
        verdict: Literal["met", "missed", "on_track", "at_risk", "insufficient", "not_judged"] | None = None,
        area_code: str | None = Query(default=None, max_length=32),
        limit: int = Query(default=1000, ge=1, le=10_000),
    ) -> list[dict[str, Any]]:
        """The current verdict of each area, title and year, with the figures behind it."""
        filters = {"title": title.value if title else None, "year": year, "level": level.value if level else None,
                   "verdict": verdict, "area_code": area_code}
        return await list_verdicts(runtime.engine, filters, limit)

    return app
