"""The registry's HTTP API: bulk import with a result per row, and look-ups by area.

Every /v1 route needs `Authorization: Bearer <token>`; the token's publisher has a scope of
areas. 401 without a valid token, 403 outside the scope.
"""


import io
import json
import tempfile
from collections.abc import AsyncIterator
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from shared.events.vocabulary import Level
from shared.http import UNAUTHORISED, Credentials, bearer_token, unauthorised

from .adapters.db import AUDIT, CITIZENS, CLANS, HOUSEHOLDS, LEARNING_UNITS, MAPPINGS, UNITS
from .domain.scope import ALL_AREAS, Publisher, Publishers
from .importing import Importer, csv_rows, json_rows, ndjson_row

MAX_PAGE = 1000
NOT_FOUND = {404: {"description": "Not registered."}}
MAX_IMPORT_BYTES = 1024 * 1024 * 1024


def area_chain(connection_rows: dict[str, str | None], code: str) -> list[str]:
    chain, current, seen = [], code, set()
    while current and current not in seen:
        seen.add(current)
        chain.append(current)
        current = connection_rows.get(current)
    return chain


def build_router(engine: Any, publishers: Publishers, importer: Importer) -> APIRouter:
    router = APIRouter(prefix="/v1", responses={**UNAUTHORISED, 403: {"description": "Outside the token's areas."}})

    async def caller(credentials: Credentials = None) -> Publisher:
        publisher = publishers.by_token(bearer_token(credentials))
        if publisher is None:
            raise unauthorised("the bearer token is not recognised")
        return publisher

    Caller = Annotated[Publisher, Depends(caller)]

    async def chain_of(connection: Any, code: str) -> list[str]:
        tree = sa.select(UNITS.c.code, UNITS.c.parent_code).where(UNITS.c.code == code).cte("up", recursive=True)
        tree = tree.union_all(sa.select(UNITS.c.code, UNITS.c.parent_code).where(UNITS.c.code == tree.c.parent_code))
        rows = await connection.execute(sa.select(tree.c.code, tree.c.parent_code))
        return area_chain({r.code: r.parent_code for r in rows}, code)

    async def require(connection: Any, publisher: Publisher, code: str | None) -> None:
        if ALL_AREAS in publisher.areas:
            return
        if code is None:
            raise HTTPException(403, f"token {publisher.name} is scoped to {', '.join(publisher.areas)}: filter by one of them")
        if not publisher.covers(await chain_of(connection, code)):
            raise HTTPException(403, f"token {publisher.name} may not read area {code}")

    def page(rows: list[Any], kind: str, limit: int, key: str) -> dict[str, Any]:
        mapping = MAPPINGS[kind]
        items = [_public(kind, mapping.to_row(mapping.from_row(r))) for r in rows[:limit]]
        return {"items": items, "next_after": getattr(rows[limit - 1], key) if len(rows) > limit else None}

    @router.get("/administrative-units", tags=["look-ups"], summary="Areas, filtered by level and parent")
    async def list_units(
        publisher: Caller,
        level: Level | None = None,
        parent: str | None = None,
        include_closed: bool = False,
        after: str | None = None,
        limit: int = Query(default=100, ge=1, le=MAX_PAGE),
    ) -> dict[str, Any]:
        async with engine.connect() as connection:
            await require(connection, publisher, parent)
            query = sa.select(UNITS).order_by(UNITS.c.code).limit(limit + 1)
            if level:
                query = query.where(UNITS.c.level == level.value)
            if parent:
                query = query.where(UNITS.c.parent_code == parent)
            if not include_closed:
                query = query.where(UNITS.c.valid_to.is_(None))
            if after:
                query = query.where(UNITS.c.code > after)
            return page(list(await connection.execute(query)), "unit", limit, "code")

    @router.get("/administrative-units/{code}", tags=["look-ups"], summary="One area, with its predecessors",
                responses=NOT_FOUND)
    async def get_unit(code: str, publisher: Caller) -> dict[str, Any]:
        async with engine.connect() as connection:
            row = (await connection.execute(sa.select(UNITS).where(UNITS.c.code == code))).first()
            if row is None:
                raise HTTPException(404, f"administrative unit {code} is not registered")
            await require(connection, publisher, row.successor_code if row.valid_to else code)
            merged = await connection.execute(sa.select(UNITS.c.code).where(UNITS.c.successor_code == code).order_by(UNITS.c.code))
            body = _public("unit", MAPPINGS["unit"].to_row(MAPPINGS["unit"].from_row(row)))
            body["predecessor_codes"] = [r.code for r in merged]
            return body

    def entity_routes(path: str, kind: str, table: sa.Table, key: str, area_columns: dict[str, str]) -> None:
        async def listing(
            publisher: Caller,
            hamlet: str | None = None,
            commune: str | None = None,
            province: str | None = None,
            household: str | None = None,
            after: str | None = None,
            limit: int = Query(default=100, ge=1, le=MAX_PAGE),
        ) -> dict[str, Any]:
            filters = {"hamlet": hamlet, "commune": commune, "province": province}
            async with engine.connect() as connection:
                area = next((v for v in filters.values() if v), None)
                if household and "household" in area_columns:
                    owner = (await connection.execute(sa.select(HOUSEHOLDS.c.hamlet_code).where(HOUSEHOLDS.c.household_id == household))).first()
                    area = owner.hamlet_code if owner else area
                await require(connection, publisher, area)
                query = sa.select(table).order_by(table.c[key]).limit(limit + 1)
                for name, value in (*filters.items(), ("household", household)):
                    if value is None:
                        continue
                    if name not in area_columns:
                        raise HTTPException(400, f"{path} cannot be filtered by {name}")
                    query = query.where(table.c[area_columns[name]] == value)
                if after:
                    query = query.where(table.c[key] > after)
                return page(list(await connection.execute(query)), kind, limit, key)

        async def one(entity_id: str, publisher: Caller) -> dict[str, Any]:
            async with engine.connect() as connection:
                row = (await connection.execute(sa.select(table).where(table.c[key] == entity_id))).first()
                if row is None:
                    raise HTTPException(404, f"{kind.replace('_', ' ')} {entity_id} is not registered")
                area = await _area_of(connection, kind, row)
                await require(connection, publisher, area)
                return _public(kind, MAPPINGS[kind].to_row(MAPPINGS[kind].from_row(row)))

        router.add_api_route(f"/{path}", listing, methods=["GET"], tags=["look-ups"], summary=f"List {path} by area",
                             responses={400: {"description": "A filter this listing does not support."}})
        router.add_api_route(f"/{path}/{{entity_id}}", one, methods=["GET"], tags=["look-ups"], summary=f"One of the {path}",
                             responses=NOT_FOUND)

    entity_routes("households", "household", HOUSEHOLDS, "household_id",
                  {"hamlet": "hamlet_code", "commune": "commune_code", "province": "province_code"})
    entity_routes("citizens", "citizen", CITIZENS, "citizen_id", {"household": "household_id"})
    entity_routes("clans", "clan", CLANS, "clan_id", {"commune": "home_commune_code", "province": "province_code"})
    entity_routes("units", "learning_unit", LEARNING_UNITS, "unit_id", {"commune": "commune_code", "province": "province_code"})

    @router.get("/audit", tags=["audit"], summary="What happened to an entity's facts, newest first")
    async def audit(publisher: Caller, entity_key: str, limit: int = Query(default=100, ge=1, le=MAX_PAGE)) -> list[dict[str, Any]]:
        if ALL_AREAS not in publisher.areas:
            raise HTTPException(403, "the audit log needs a province-wide token")
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.select(AUDIT).where(AUDIT.c.entity_key == entity_key).order_by(AUDIT.c.id.desc()).limit(limit)
            )
            return [
                {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row._mapping.items()} for row in rows
            ]

    @router.post(
        "/import",
        tags=["import"],
        summary="Bulk import facts (NDJSON, a JSON array, or CSV with ?type=); a result per row, streamed",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"application/x-ndjson": {}},
                  "description": "One line per row: {row, status: applied|unchanged|stale|rejected|waiting, code, reason}"},
            400: {"description": "Not a JSON array, or CSV without ?type="},
            413: {"description": "Larger than the import limit"},
            415: {"description": "Not NDJSON, JSON or CSV"},
        },
    )
    async def import_facts(request: Request, publisher: Caller, type: str | None = None) -> StreamingResponse:
        content_type = request.headers.get("content-type", "application/x-ndjson").split(";")[0].strip()
        if content_type not in ("text/csv", "application/json", "application/x-ndjson", "application/jsonl"):
            raise HTTPException(415, "send application/x-ndjson, application/json or text/csv")
        if content_type == "text/csv" and not type:
            raise HTTPException(400, "a CSV import needs ?type=<fact type>, e.g. household-registered")
        # The body is spooled first (to disk past 8 MB): reading it while the response streams
        # would compete with the server's disconnect watch for the same receive channel.
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_IMPORT_BYTES:
                raise HTTPException(413, f"imports are limited to {MAX_IMPORT_BYTES // 1024 // 1024} MB; split the file")
            spool.write(chunk)
        spool.seek(0)
        if content_type == "application/json":
            try:
                rows: Any = json_rows(spool.read())
            except ValueError as error:
                raise HTTPException(400, f"not a JSON array of rows: {error}") from None
        elif content_type == "text/csv":
            rows = csv_rows(io.TextIOWrapper(spool, encoding="utf-8-sig", newline=""), type)  # type: ignore[arg-type]
        else:
            rows = (ndjson_row(line.decode("utf-8-sig"), n) for n, line in enumerate(spool, start=1) if line.strip())

        async def results() -> AsyncIterator[bytes]:
            try:
                async for result in importer.run(rows, publisher):
                    yield (json.dumps(result, ensure_ascii=False) + "\n").encode()
            finally:
                spool.close()

        return StreamingResponse(results(), media_type="application/x-ndjson")

    return router


async def _area_of(connection: Any, kind: str, row: Any) -> str | None:
    if kind == "household":
        return row.hamlet_code
    if kind == "citizen":
        if row.household_id is None:
            return None
        owner = (await connection.execute(sa.select(HOUSEHOLDS.c.hamlet_code).where(HOUSEHOLDS.c.household_id == row.household_id))).first()
        return owner.hamlet_code if owner else None
    if kind == "clan":
        return row.home_commune_code
    return row.commune_code


def _public(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row as the API shows it: dates as text, never the national-ID HMAC."""
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items() if k != "last_fact_at"}
    if kind == "citizen":
        body["has_national_id"] = body.pop("national_id_hmac") is not None
    return body


def mount(app: FastAPI, router: APIRouter) -> None:
    app.include_router(router)
