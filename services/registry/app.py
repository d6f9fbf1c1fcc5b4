"""Registry composition root: the inbound consumer, parked facts, re-publication, the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from shared.events.catalogue import REGISTRY_ENTITY_TOPICS, REGISTRY_INBOUND, REGISTRY_REJECTIONS
from shared.events.asyncapi import document as asyncapi_document
from shared.http import service_app
from shared.runtime import ServiceRuntime

from .adapters.db import OUTBOX, RegistrySqlUnitOfWork
from .adapters.privacy import NationalIdHasher, redact
from .adapters.publishers_file import load_publishers
from .domain.scope import Publishers
from .handlers.inbound import InboundHandler
from .handlers.parking import ParkedFacts
from .handlers.rejections import rejection_for
from .handlers.republish import Republisher
from .http_api import build_router
from .importing import Importer
from .settings import RegistrySettings

VERSION = "0.2.0"


@dataclass
class Registry:
    runtime: ServiceRuntime
    unit_of_work: Callable[[], Any]
    publishers: Publishers
    hasher: NationalIdHasher
    parking: ParkedFacts
    republisher: Republisher
    importer: Importer


def build_registry(
    settings: RegistrySettings,
    *,
    unit_of_work: Callable[[], Any] | None = None,
    publishers: Publishers | None = None,
    **overrides: Any,
) -> Registry:
    """Everything the registry runs; tests pass an in-memory `unit_of_work` or their own publishers."""
    settings.check_for_serving()
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)
    uow = unit_of_work or (lambda: RegistrySqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel))
    publishers = publishers or load_publishers(settings.publishers_file, enforce=settings.authorisation == "enforce")
    hasher = NationalIdHasher(settings.effective_national_id_key)
    parking = ParkedFacts(
        uow, publishers, park_seconds=settings.park_seconds, retry_seconds=settings.park_retry_seconds,
        clock=runtime.clock, on_change=runtime.relay.wake,
    )
    republisher = Republisher(uow, clock=runtime.clock, on_change=runtime.relay.wake)

    def after_commit() -> None:
        republisher.wake()

    runtime.consume(
        REGISTRY_INBOUND,
        InboundHandler(publishers, hasher, on_parked=parking.wake),
        uow,
        redact=redact,
        on_rejection=rejection_for,
        on_committed=after_commit,
    )
    runtime.subscribe()
    runtime.add_loop(parking.run)
    runtime.add_loop(republisher.run)
    runtime.publishes(*REGISTRY_ENTITY_TOPICS, REGISTRY_REJECTIONS)
    importer = Importer(uow, publishers, hasher, chunk_rows=settings.import_chunk_rows, clock=runtime.clock,
                        on_change=lambda: (runtime.relay.wake(), after_commit()))
    return Registry(runtime, uow, publishers, hasher, parking, republisher, importer)


def build_runtime(settings: RegistrySettings, **options: Any) -> ServiceRuntime:
    return build_registry(settings, **options).runtime


def build_app(settings: RegistrySettings | None = None, **options: Any) -> FastAPI:
    settings = settings or RegistrySettings()
    registry = build_registry(settings, **options)
    runtime = registry.runtime
    app = service_app(
        service="registry",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        description=(
            "The authoritative record of areas, households, citizens, clans and learning units, fed by "
            "government systems on registry.inbound.v1 or through this API (bearer tokens scoped to areas)."
        ),
    )
    app.state.registry = registry
    app.state.runtime = runtime
    app.include_router(build_router(runtime.engine, registry.publishers, registry.importer))

    @app.get("/asyncapi.json", tags=["contract"], summary="AsyncAPI 3.0: every topic and event, with JSON Schemas")
    async def asyncapi() -> dict[str, Any]:
        return asyncapi_document()

    return app
