"""Metrics composition root: six consumers, the indicator collector, the query API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from shared.events.catalogue import (
    METRICS_INDICATORS,
    RECOGNITION_DECISIONS,
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_CITIZENS,
    REGISTRY_CLANS,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_UNITS,
)
from shared.events.recognition import TitleDecided, TitleDecidedCount
from shared.events.registry import (
    AdministrativeUnitChanged,
    CitizenChanged,
    ClanChanged,
    HouseholdChanged,
    TitleRegistrationChanged,
    UnitChanged,
)
from shared.http import service_app
from shared.runtime import ServiceRuntime

from .adapters.db import OUTBOX, MetricsSqlUnitOfWork
from .adapters.prometheus import IndicatorCollector, MetricsServiceMetrics
from .adapters.queries import read_exported
from .api import build_router
from .handlers import MetricsHandlers
from .settings import MetricsSettings

VERSION = "0.2.0"


# Metrics counts decisions and never shows their explanations: it reads them through the
# contract's counting view, which skips the explanation (a quarter of the decoding cost).
DECISIONS_READ_AS = {TitleDecided.TYPE: TitleDecidedCount}
# Every metrics handler applies an event only over an older state: a snapshot or a registration
# over a lower version, a decision over an older one of its series (rule set, then revision). So
# handling an event again changes nothing, and the consumers do not mark each event in the inbox
# (BatchConsumer's `idempotent`), only dead letters. About a sixth of a year's fold was marking.
IDEMPOTENT_HANDLERS = True


def build_runtime(
    settings: MetricsSettings, *, unit_of_work: Callable[[], Any] | None = None, **overrides: Any
) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)
    handlers = MetricsHandlers(settings.rules())
    uow = unit_of_work or (lambda: MetricsSqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel))
    entity_topics = (
        (
            REGISTRY_ADMINISTRATIVE_UNITS,
            AdministrativeUnitChanged,
            handlers.on_administrative_units,
        ),
        (REGISTRY_HOUSEHOLDS, HouseholdChanged, handlers.on_households),
        (REGISTRY_CITIZENS, CitizenChanged, handlers.on_citizens),
        (REGISTRY_CLANS, ClanChanged, handlers.on_clans),
        (REGISTRY_UNITS, UnitChanged, handlers.on_units),
    )
    for topic, snapshot, handler in entity_topics:
        runtime.consume(
            topic,
            handler,
            uow,
            accepted=topic.accepting(snapshot, TitleRegistrationChanged),
            idempotent=IDEMPOTENT_HANDLERS,
        )
    runtime.consume(
        RECOGNITION_DECISIONS,
        handlers.on_decisions,
        uow,
        accepted=DECISIONS_READ_AS,
        idempotent=IDEMPOTENT_HANDLERS,
    )
    runtime.subscribe()
    runtime.publishes(METRICS_INDICATORS)
    return runtime


def build_app(settings: MetricsSettings | None = None, **overrides: Any) -> FastAPI:
    settings = settings or MetricsSettings()
    runtime = build_runtime(settings, **overrides)
    own_metrics = MetricsServiceMetrics(runtime.registry)

    async def load_exported() -> list[Any]:
        async with runtime.engine.connect() as connection:
            return await read_exported(
                connection, settings.prometheus_levels, settings.prometheus_first_year
            )

    collector = IndicatorCollector(
        load_exported, settings.scrape_cache_seconds, settings.rules(), own_metrics
    )
    # Not registered: its samples are rendered by `collector.render` (prometheus_client's per-sample
    # formatting is too slow for a province's cells) and appended to the registry's.
    app = service_app(
        service="metrics",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        before_scrape=collector.refresh,
        extra_exposition=collector.render,
        description=(
            "Recognition percentages per title, year and administrative level, in the hierarchy in force "
            "that year (`recorded`) or today's (`current`). Figures that cannot support a percentage say "
            "`insufficient` with a reason and carry no ratio."
        ),
    )
    app.state.runtime = runtime
    app.state.indicator_collector = collector
    app.include_router(build_router(runtime.engine, settings))
    return app
