"""The query API: indicators as JSON or CSV with drill-down, and the December report as CSV."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.events.vocabulary import Level, Title

from .adapters.queries import CellQuery, read_cells
from .domain.cells import Hierarchy
from .domain.hierarchy import stored_hierarchy
from .reports import december_csv, indicator_row, indicators_csv
from .settings import MetricsSettings

AREA_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._-]{1,31}$"
CSV = {200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with `format=csv`."}}


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"


class Indicator(BaseModel):
    """One cell: counts, both ratios (always labelled), data status, change, target, goal and projection."""

    title: Title
    year: int
    hierarchy: Hierarchy = Field(
        description="recorded: the map in force that year; current: today's units."
    )
    level: Level
    area_code: str
    area_name: str | None
    parent_code: str | None
    total: int = Field(
        description="All entities of the title's kind in the area (the denominator of ratio_all)."
    )
    registered: int = Field(description="Entities with a registration or a decision for the year.")
    recognised: int
    assessed: int = Field(description="Entities with a decision for the year.")
    ratio_all: float | None = Field(
        description="recognised / total in percent (the targets' KPI); null when insufficient."
    )
    ratio_registered: float | None = Field(
        description="recognised / registered in percent; null when insufficient."
    )
    data_status: str = Field(description="ok, or insufficient (never reported as 0 %).")
    data_status_reason: str | None
    change_points: float | None = Field(
        description="ratio_all minus the previous year's, in points."
    )
    target_percent: float | None = Field(description="This year's target from the programme.")
    goal_percent: float | None
    goal_year: int | None
    projected_goal_year_percent: float | None = Field(
        description="ratio_all at goal_year at the current pace."
    )
    rule_versions: list[str]
    revision: int


class IndicatorWithChildren(Indicator):
    children: list[Indicator] = Field(description="The cells one level down (drill-down).")


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def build_router(engine: AsyncEngine, settings: MetricsSettings) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["indicators"])
    reform = settings.reform_date

    async def cells(query: CellQuery) -> list[Any]:
        async with engine.connect() as connection:
            return await read_cells(connection, query, reform)

    @router.get(
        "/indicators",
        response_model=list[Indicator],
        responses=CSV,
        summary="Indicator cells, filtered",
    )
    async def indicators(
        title: Title | None = None,
        year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
        level: Level | None = None,
        hierarchy: Hierarchy = Hierarchy.CURRENT,
        area: Annotated[
            str | None, Query(pattern=AREA_PATTERN, description="Only this area.")
        ] = None,
        parent: Annotated[
            str | None, Query(pattern=AREA_PATTERN, description="Only the children of this area.")
        ] = None,
        include_empty: Annotated[
            bool, Query(description="Also areas with no entities left (e.g. merged away).")
        ] = False,
        format: Format = Format.JSON,
    ) -> Any:
        found = await cells(CellQuery(hierarchy, title, year, level, area, parent, include_empty))
        rows = [indicator_row(c, hierarchy) for c in found]
        if format == Format.CSV:
            return _csv(indicators_csv(rows), "indicators.csv")
        return rows

    @router.get(
        "/indicators/{hierarchy}/{title}/{year}/{area_code}",
        response_model=IndicatorWithChildren,
        responses={**CSV, 404: {"description": "No cell for this title, year and area."}},
        summary="One area's cell with its children",
    )
    async def indicator(
        hierarchy: Hierarchy,
        title: Title,
        year: Annotated[int, Path(ge=2000, le=2100)],
        area_code: Annotated[str, Path(pattern=AREA_PATTERN)],
        format: Format = Format.JSON,
    ) -> Any:
        [*found] = await cells(
            CellQuery(hierarchy, title, year, area_code=area_code, include_empty=True)
        )
        if not found:
            kept = stored_hierarchy(hierarchy, year, reform).value
            raise HTTPException(
                404, f"no {title.value} cell for {area_code} in {year} ({kept} hierarchy)"
            )
        children = await cells(CellQuery(hierarchy, title, year, parent_code=area_code))
        rows = [indicator_row(c, hierarchy) for c in (*found, *children)]
        if format == Format.CSV:
            return _csv(indicators_csv(rows), f"{title.value}-{year}-{area_code}.csv")
        return {**rows[0], "children": rows[1:]}

    @router.get(
        "/reports/december",
        responses={
            200: {"content": {"text/csv": {}}, "description": "CSV with Vietnamese headers."},
            404: {"description": "No figures for this year yet (no cell in the chosen hierarchy)."},
        },
        response_class=Response,
        summary="The December report: per commune and title, then the totals",
    )
    async def december_report(
        year: Annotated[int, Query(ge=2000, le=2100)],
        hierarchy: Annotated[
            Hierarchy, Query(description="recorded: the communes as they were that year.")
        ] = Hierarchy.RECORDED,
        decimal_comma: Annotated[bool, Query(description="62,50 and ';' between columns.")] = False,
    ) -> Response:
        found = await cells(CellQuery(hierarchy, year=year))
        if not found:
            raise HTTPException(404, f"no figures for {year} yet")
        return _csv(december_csv(found, decimal_comma=decimal_comma), f"bao-cao-xhht-{year}.csv")

    return router
