"""Recognition composition root: the rule book, one consumer per registry entity topic, the
start-up re-evaluation, and the HTTP API (rule sets, decisions with their trace, what-if)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI

from shared.events.catalogue import RECOGNITION_DECISIONS, REGISTRY_ENTITY_TOPICS
from shared.http import load_readers, service_app
from shared.runtime import ServiceRuntime

from .adapters.db import OUTBOX, RecognitionSqlUnitOfWork
from .adapters.rule_files import BUILT_IN, load_rule_book
from .api import router
from .domain.rule_book import RuleBook
from .handlers import RecognitionHandler, reevaluate
from .handlers.intake import ACCEPTED
from .handlers.reevaluate import check_rule_sets
from .handlers.telemetry import RecognitionMetrics
from .settings import RecognitionSettings

VERSION = "0.2.0"
# Every event recognition consumes is a versioned snapshot or versioned evidence, written (and
# evaluated) only over a lower version, so an event handled again changes nothing and emits no
# decision: the consumers mark only dead letters in the inbox (BatchConsumer's `idempotent`).
IDEMPOTENT_HANDLER = True
log = logging.getLogger(__name__)


def sql_unit_of_work(runtime: ServiceRuntime, settings: RecognitionSettings) -> Callable[[], Any]:
    return lambda: RecognitionSqlUnitOfWork(
        runtime.engine, OUTBOX, runtime.channel, lock_namespace=settings.database_schema
    )


def build_runtime(
    settings: RecognitionSettings,
    rule_book: RuleBook,
    *,
    unit_of_work: Callable[[], Any] | None = None,
    **overrides: Any,
) -> ServiceRuntime:
    """Recognition's consumers, relay and start-up re-evaluation; tests pass an in-memory `unit_of_work`."""
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)
    uow = unit_of_work or sql_unit_of_work(runtime, settings)
    metrics = RecognitionMetrics(runtime.registry)
    handler = RecognitionHandler(rule_book, metrics)
    for topic in REGISTRY_ENTITY_TOPICS:
        runtime.consume(
            topic,
            handler,
            uow,
            accepted=topic.accepting(*(t for t in ACCEPTED if t in topic.event_types)),
            idempotent=IDEMPOTENT_HANDLER,
        )
    runtime.subscribe()
    runtime.publishes(RECOGNITION_DECISIONS)

    async def reevaluate_on_start(stopping: asyncio.Event) -> None:
        """Decide into a new series what a rule version new for a year has not decided yet."""
        result = await reevaluate(rule_book, uow, runtime.clock(), metrics=metrics)
        if result.targets:
            runtime.relay.wake()
        log.info(
            "start-up re-evaluation done",
            extra={"targets": result.targets, "decisions": result.decisions},
        )

    runtime.add_loop(reevaluate_on_start)
    return runtime


def build_app(settings: RecognitionSettings | None = None, **overrides: Any) -> FastAPI:
    settings = settings or RecognitionSettings()
    rule_book = load_rule_book([BUILT_IN, *settings.rule_set_folders])
    unit_of_work = overrides.pop("unit_of_work", None)
    runtime = build_runtime(settings, rule_book, unit_of_work=unit_of_work, **overrides)
    uow = unit_of_work or sql_unit_of_work(runtime, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        # A version already used must not have changed: refuse to start rather than rewrite history.
        await check_rule_sets(rule_book, uow)
        async with runtime.lifespan(app):
            yield

    app = service_app(
        service="recognition",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=lifespan,
        description="Evaluates the five learning titles from versioned rule sets, in cascade, and explains every decision.",
    )
    app.state.runtime = runtime
    app.include_router(router(rule_book, lambda: runtime.engine, load_readers(settings.readers_file)))
    return app
