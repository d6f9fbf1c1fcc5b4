"""Metrics composition root: three consumers, the indicator collector, the query API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query

from shared.events.catalogue import (
    METRICS_INDICATORS,
    RECOGNITION_DECISIONS,
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_CITIZENS,
    REGISTRY_CLANS,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_UNITS,
)
from shared.events.registry import AdministrativeUnitChanged, HouseholdChanged
from shared.events.vocabulary import Level, Title
from shared.http import service_app
from shared.runtime import ServiceRuntime

from .adapters.db import OUTBOX, MetricsSqlUnitOfWork, read_cells
from .adapters.prometheus import IndicatorCollector
from .domain.cells import percent
from .handlers import on_administrative_units, on_decisions, on_households
from .settings import MetricsSettings

VERSION = "0.1.0"


def build_runtime(settings: MetricsSettings, **overrides: Any) -> ServiceRuntime:
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)

    def unit_of_work() -> MetricsSqlUnitOfWork:
        return MetricsSqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel)

    runtime.consume(
        REGISTRY_ADMINISTRATIVE_UNITS,
        on_administrative_units,
        unit_of_work,
        accepted=REGISTRY_ADMINISTRATIVE_UNITS.accepting(AdministrativeUnitChanged),
    )
    runtime.consume(
        REGISTRY_HOUSEHOLDS, on_households, unit_of_work, accepted=REGISTRY_HOUSEHOLDS.accepting(HouseholdChanged)
    )
    for topic in (REGISTRY_CITIZENS, REGISTRY_CLANS, REGISTRY_UNITS):
        runtime.consume(topic, on_households, unit_of_work, accepted={})
    runtime.consume(RECOGNITION_DECISIONS, on_decisions, unit_of_work)
    runtime.publishes(METRICS_INDICATORS)
    return runtime


def build_app(settings: MetricsSettings | None = None, **overrides: Any) -> FastAPI:
    settings = settings or MetricsSettings()
    runtime = build_runtime(settings, **overrides)

    async def load_exported() -> list[Any]:
        async with runtime.engine.connect() as connection:
            return await read_cells(connection, levels=settings.prometheus_levels)

    collector = IndicatorCollector(load_exported, settings.scrape_cache_seconds)
    runtime.registry.register(collector)
    app = service_app(
        service="metrics",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        before_scrape=collector.refresh,
        description="Recognition percentages per title, year and administrative level.",
    )
    app.state.runtime = runtime

    @app.get("/v1/indicators", tags=["indicators"])
    async def indicators(
        title: Title | None = None,
        year: int | None = Query(default=None, ge=2000, le=2100),
        level: Level | None = None,
        parent: str | None = Query(default=None, description="Only the children of this area."),
    ) -> list[dict[str, Any]]:
        async with runtime.engine.connect() as connection:
            cells = await read_cells(
                connection, levels=[level] if level else None, title=title, year=year, parent_code=parent
            )
        return [
            {
                "title": c.title.value,
                "year": c.year,
                "level": c.level.value,
                "area_code": c.area_code,
                "area_name": name,
                "parent_code": c.parent_code,
                "total": c.counts.total,
                "registered": c.counts.registered,
                "recognised": c.counts.recognised,
                "ratio_all": percent(c.counts.recognised, c.counts.total),
                "ratio_registered": percent(c.counts.recognised, c.counts.registered),
            }
            for c, name in cells
        ]

    return app
