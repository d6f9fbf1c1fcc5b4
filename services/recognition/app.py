"""Recognition composition root: the rule book, the evidence consumer, the decisions API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException

from shared.events.catalogue import RECOGNITION_DECISIONS, REGISTRY_ENTITY_TOPICS, REGISTRY_HOUSEHOLDS
from shared.events.registry import FamilyEvidenceRecorded
from shared.events.vocabulary import Title
from shared.http import service_app
from shared.runtime import ServiceRuntime

from .adapters.db import OUTBOX, RecognitionSqlUnitOfWork
from .adapters.rule_files import BUILT_IN, load_rule_book
from .domain.rule_book import RuleBook
from .handlers import EvidenceHandler
from .settings import RecognitionSettings

VERSION = "0.1.0"


def build_runtime(
    settings: RecognitionSettings,
    rule_book: RuleBook,
    *,
    unit_of_work: Callable[[], Any] | None = None,
    **overrides: Any,
) -> ServiceRuntime:
    """Recognition's consumer and relay; tests pass an in-memory `unit_of_work`."""
    runtime = ServiceRuntime(settings, OUTBOX, **overrides)
    uow = unit_of_work or (lambda: RecognitionSqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel))
    for topic in REGISTRY_ENTITY_TOPICS:
        handled = (FamilyEvidenceRecorded,) if topic is REGISTRY_HOUSEHOLDS else ()
        runtime.consume(topic, EvidenceHandler(rule_book), uow, accepted=topic.accepting(*handled))
    runtime.publishes(RECOGNITION_DECISIONS)
    return runtime


def build_app(settings: RecognitionSettings | None = None, **overrides: Any) -> FastAPI:
    settings = settings or RecognitionSettings()
    rule_book = load_rule_book([BUILT_IN, *settings.rule_set_folders])
    runtime = build_runtime(settings, rule_book, **overrides)
    app = service_app(
        service="recognition",
        version=VERSION,
        registry=runtime.registry,
        readiness=runtime.readiness,
        lifespan=runtime.lifespan,
        description="Evaluates title criteria from versioned rule sets and explains every decision.",
    )
    app.state.runtime = runtime

    @app.get("/v1/rule-sets", tags=["rules"])
    async def rule_sets() -> list[dict[str, Any]]:
        return [
            {
                "id": r.id,
                "title": r.title.value,
                "version": r.version,
                "effective_from": r.effective.from_.isoformat(),
                "effective_until": r.effective.until.isoformat() if r.effective.until else None,
                "legal_reference": r.legal_reference.document,
                "threshold": r.threshold.value,
                "max_points": r.max_points,
            }
            for r in rule_book.rule_sets
        ]

    @app.get("/v1/decisions/{title}/{entity_id}/{year}", tags=["decisions"])
    async def decision(title: Title, entity_id: str, year: int) -> dict[str, Any]:
        async with RecognitionSqlUnitOfWork(runtime.engine, OUTBOX, runtime.channel) as uow:
            found = (await uow.decisions.get_many(title, [(entity_id, year)])).get((entity_id, year))
        if found is None:
            raise HTTPException(404, f"no {title.value} decision for {entity_id} in {year}")
        return found.decision.model_dump(mode="json")

    return app
