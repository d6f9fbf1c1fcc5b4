"""Notifications composition root: the indicator consumer, the evaluator, the SMTP deliverer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from shared.events.catalogue import METRICS_INDICATORS
from shared.http import service_app
from shared.runtime import ServiceRuntime

from shared.programme import load_programme

from .adapters.config_files import load_directory
from .adapters.db import ALERTS, OUTBOX, NotificationsSqlUnitOfWork
from .adapters.smtp import SmtpMailer
from .handlers import Deliverer, GrowthEvaluator, NotificationMetrics, on_indicators
from .ports import Mailer
from .settings import NotificationsSettings

VERSION = "0.1.0"


def build_app(settings: NotificationsSettings | None = None, *, mailer: Mailer | None = None, **overrides: Any) -> FastAPI:
    settings = settings or NotificationsSettings()
    if settings.smtp_username:
        settings.refuse_placeholder("smtp_password", settings.smtp_password)
    programme = load_programme(settings.programme_file)
    directory = load_directory(settings.agencies_file)
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)
    metrics = NotificationMetrics(runtime.registry)
    deliverer = Deliverer(
        runtime.engine,
        mailer or SmtpMailer(settings),
        metrics=metrics,
        interval=settings.deliver_interval_seconds,
        per_minute=settings.max_emails_per_minute,
        max_attempts=settings.max_attempts,
        clock=runtime.clock,
    )
    evaluator = GrowthEvaluator(
        runtime.engine,
        programme=programme,
        directory=directory,
        metrics=metrics,
        cutoff=settings.reporting_cutoff,
        zone=settings.timezone,
        settle=timedelta(seconds=settings.settle_seconds),
        interval=settings.evaluate_interval_seconds,
        message_domain=settings.message_id_domain,
        clock=runtime.clock,
        on_alert=deliverer.wake,
    )
    runtime.consume(
        METRICS_INDICATORS,
        on_indicators,
        lambda: NotificationsSqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel),
    )
    runtime.add_loop(evaluator.run)
    runtime.add_loop(deliverer.run)

    app = service_app(
        service="notifications",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        description="E-mails the responsible agency when a growth target is missed.",
    )
    app.state.runtime = runtime
    app.state.evaluator = evaluator
    app.state.deliverer = deliverer

    @app.get("/v1/alerts", tags=["alerts"])
    async def alerts() -> list[dict[str, Any]]:
        async with runtime.engine.connect() as connection:
            rows = await connection.execute(sa.select(ALERTS).order_by(ALERTS.c.id))
            return [
                {
                    "alert_key": r.alert_key,
                    "area_code": r.area_code,
                    "title": r.title,
                    "year": r.year,
                    "verdict": r.verdict,
                    "agency_id": r.agency_id,
                    "status": r.status,
                    "attempts": r.attempts,
                    "subject": r.subject,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                    "last_error": r.last_error,
                }
                for r in rows
            ]

    return app
