"""Recognition's HTTP API: rule sets with their parameters, decisions with their trace, what-if.

Rule sets are public. Decisions (per entity, with the facts and scores behind them) and
simulations (run over the whole population) need a reader's bearer token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.events.recognition import TitleDecided
from shared.events.vocabulary import AssessmentYear, Title
from shared.http import UNAUTHORISED, ReaderTokens

from .adapters.db import DECISIONS
from .adapters.population import load_population
from .adapters.rule_files import parse_text
from .domain.rule_book import RuleBook, RuleSetError, fingerprint, parameters, parse_rule_set
from .domain.rules import RuleSet
from .domain.simulation import simulate


class Parameter(BaseModel):
    path: str = Field(
        description="Where the number is in the rule set, e.g. criteria.adults_learning.minimum"
    )
    value: float
    provisional: bool
    note: str | None = None


class RuleSetView(BaseModel):
    id: str
    title: Title
    version: str
    effective_from: str
    effective_until: str | None
    in_force_until: str | None = Field(
        description="The last day it applies: its own `until`, or the day before the next rule set of its title starts."
    )
    legal_reference: str
    threshold: float
    max_points: float
    fingerprint: str = Field(
        description="Digest of what decides; a changed number needs a new version."
    )
    provisional_count: int = Field(description="How many numbers the sources did not verify.")
    parameters: list[Parameter]
    derived_facts: dict[str, str] = Field(
        description="Facts counted from other decisions or the registry, and how."
    )
    rules: dict[str, Any] = Field(description="The whole rule set, as its YAML says.")


class SimulationRequest(BaseModel):
    rule_set: str | dict[str, Any] = Field(
        description="The candidate rule set: its YAML text, or the same as a JSON object."
    )
    year: AssessmentYear
    title: Title | None = Field(
        default=None,
        description="Report only this title (default: the candidate's and those counting it).",
    )


class AreaImpactView(BaseModel):
    title: Title
    level: str
    area_code: str
    area_name: str | None
    parent_code: str | None
    assessed: int = Field(
        description="Entities with evidence for the year (the shares' denominator)."
    )
    recognised_now: int
    recognised_candidate: int
    percent_now: float | None
    percent_candidate: float | None
    gained: int = Field(description="Not recognised now, recognised under the candidate.")
    lost: int = Field(description="Recognised now, not under the candidate.")


class SimulationView(BaseModel):
    year: int
    candidate: str
    replaces: str | None
    titles: list[Title]
    rows: list[AreaImpactView]
    side_effects: str = "none: read in a read-only transaction, nothing written or published"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def view(rule_set: RuleSet, book: RuleBook) -> RuleSetView:
    found = [
        Parameter(path=p, value=v.value, provisional=v.provisional, note=v.note)
        for p, v in parameters(rule_set)
    ]
    return RuleSetView(
        id=rule_set.id,
        title=rule_set.title,
        version=rule_set.version,
        effective_from=rule_set.effective.from_.isoformat(),
        effective_until=rule_set.effective.until.isoformat() if rule_set.effective.until else None,
        in_force_until=_iso(book.periods.get(rule_set.series, (None, rule_set.effective.until))[1]),
        legal_reference=rule_set.legal_reference.document,
        threshold=rule_set.threshold.value,
        max_points=rule_set.max_points,
        fingerprint=fingerprint(rule_set),
        provisional_count=sum(p.provisional for p in found),
        parameters=found,
        derived_facts={name: spec.describe() for name, spec in rule_set.derived_facts.items()},
        rules=rule_set.model_dump(mode="json", by_alias=True, exclude_none=True),
    )


def router(book: RuleBook, engine: Callable[[], AsyncEngine], readers: ReaderTokens) -> APIRouter:
    api = APIRouter()
    needs_reader = [Depends(readers.dependency())]

    @api.get(
        "/v1/rule-sets",
        tags=["rules"],
        response_model=list[RuleSetView],
        summary="Every rule set loaded, with its parameters",
    )
    async def rule_sets(title: Title | None = None) -> list[RuleSetView]:
        return [view(r, book) for r in book.rule_sets if title is None or r.title == title]

    @api.get("/v1/rule-sets/{rule_set_id}/{version}", tags=["rules"], response_model=RuleSetView,
             responses={404: {"description": "No such rule set."}})
    async def rule_set(rule_set_id: str, version: str) -> RuleSetView:
        found = book.find(rule_set_id, version)
        if found is None:
            raise HTTPException(404, f"no rule set {rule_set_id} {version}")
        return view(found, book)

    @api.get(
        "/v1/decisions/{title}/{entity_id}/{year}",
        tags=["decisions"],
        response_model=TitleDecided,
        summary="A decision with its trace (under the rules in force, or the series asked for)",
        dependencies=needs_reader,
        responses={**UNAUTHORISED, 404: {"description": "No such decision."}},
    )
    async def decision(
        title: Title, entity_id: str, year: AssessmentYear, rule_version: str | None = None
    ) -> Any:
        series = book.series_for(title, year)
        version = rule_version or (series[1] if series else None)
        query = sa.select(DECISIONS.c.body).where(
            DECISIONS.c.title == title.value,
            DECISIONS.c.entity_id == entity_id,
            DECISIONS.c.year == year,
            DECISIONS.c.rule_version == version,
        )
        if rule_version is None and series is not None:
            query = query.where(DECISIONS.c.rule_set_id == series[0])
        async with engine().connect() as connection:
            body = await connection.scalar(
                query.order_by(DECISIONS.c.rule_effective_from.desc()).limit(1)
            )
        if body is None:
            raise HTTPException(
                404,
                f"no {title.value} decision for {entity_id} in {year} under rule version {version}",
            )
        return body

    @api.get(
        "/v1/decisions/{title}/{entity_id}/{year}/series",
        tags=["decisions"],
        response_model=list[TitleDecided],
        summary="Every series of a decision: one per rule version that applied to the year",
        dependencies=needs_reader,
        responses=UNAUTHORISED,
    )
    async def series(title: Title, entity_id: str, year: AssessmentYear) -> list[Any]:
        query = (
            sa.select(DECISIONS.c.body)
            .where(
                DECISIONS.c.title == title.value,
                DECISIONS.c.entity_id == entity_id,
                DECISIONS.c.year == year,
            )
            .order_by(DECISIONS.c.rule_effective_from)
        )
        async with engine().connect() as connection:
            return list(await connection.scalars(query))

    @api.post(
        "/v1/simulations",
        tags=["what-if"],
        response_model=SimulationView,
        summary="Evaluate a candidate rule set against the current population (no side effects)",
        dependencies=needs_reader,
        responses={**UNAUTHORISED, 422: {"description": "The candidate is not a valid rule set for that year"}},
    )
    async def simulation(request: SimulationRequest) -> SimulationView:
        try:
            if isinstance(request.rule_set, str):
                candidate = parse_text(request.rule_set, "candidate")
            else:
                candidate = parse_rule_set(request.rule_set, "candidate")
            book.with_candidate(candidate, request.year)
        except RuleSetError as error:
            raise HTTPException(422, str(error)) from None
        population = await load_population(engine(), request.year)
        titles = (request.title,) if request.title else None
        report = await asyncio.to_thread(simulate, book, candidate, population, titles)
        return SimulationView(
            year=report.year,
            candidate=" ".join(report.candidate),
            replaces=" ".join(report.replaces) if report.replaces else None,
            titles=list(report.titles),
            rows=[
                AreaImpactView(
                    title=r.title,
                    level=r.level,
                    area_code=r.area_code,
                    area_name=r.area_name,
                    parent_code=r.parent_code,
                    assessed=r.assessed,
                    recognised_now=r.recognised_now,
                    recognised_candidate=r.recognised_candidate,
                    percent_now=r.percent_now,
                    percent_candidate=r.percent_candidate,
                    gained=r.gained,
                    lost=r.lost,
                )
                for r in report.rows
            ],
        )

    return api
