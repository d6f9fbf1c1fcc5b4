"""Metrics tables (SQLModel) and the SQL that keeps indicator cells equal to a recount."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables
from shared.events.vocabulary import Level, Title
from shared.unit_of_work import SqlUnitOfWork

from ..domain.cells import Cell, CellKey, Counts


class MetricsTable(SQLModel, registry=orm_registry()):
    """Base of the metrics tables (their own metadata: metrics owns its schema)."""


class AreaRow(MetricsTable, table=True):
    __tablename__ = "area"

    code: str = Field(primary_key=True)
    level: str
    name: str
    parent_code: str | None = None
    province_code: str
    version: int


class MemberRow(MetricsTable, table=True):
    """An entity counted in a title's denominator, at its hamlet, for a span of years."""

    __tablename__ = "member"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    hamlet_code: str
    commune_code: str
    province_code: str
    from_year: int
    until_year: int | None = None
    version: int


class DecisionRow(MetricsTable, table=True):
    __tablename__ = "decision"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    granted: bool
    rule_version: str
    revision: int


class AssessmentYearRow(MetricsTable, table=True):
    __tablename__ = "assessment_year"

    title: str = Field(primary_key=True)
    year: int = Field(primary_key=True)


class CellRow(MetricsTable, table=True):
    __tablename__ = "cell"

    title: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    level: str = Field(primary_key=True)
    area_code: str = Field(primary_key=True)
    commune_code: str | None = None
    province_code: str
    total: int
    registered: int
    recognised: int
    revision: int
    updated_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


METADATA = MetricsTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
AREAS: sa.Table = AreaRow.__table__  # type: ignore[attr-defined]
MEMBERS: sa.Table = MemberRow.__table__  # type: ignore[attr-defined]
DECISIONS: sa.Table = DecisionRow.__table__  # type: ignore[attr-defined]
YEARS: sa.Table = AssessmentYearRow.__table__  # type: ignore[attr-defined]
CELLS: sa.Table = CellRow.__table__  # type: ignore[attr-defined]

_RECOUNT_HAMLETS = sa.text(
    """
    select t.title, t.year, t.hamlet,
           count(m.entity_id) as total,
           count(d.entity_id) as registered,
           count(d.entity_id) filter (where d.granted) as recognised,
           max(m.commune_code) as commune_code,
           max(m.province_code) as province_code
    from unnest(cast(:titles as text[]), cast(:years as int[]), cast(:hamlets as text[]))
         as t(title, year, hamlet)
    left join member m
      on m.title = t.title and m.hamlet_code = t.hamlet
     and m.from_year <= t.year and (m.until_year is null or m.until_year > t.year)
    left join decision d
      on d.title = m.title and d.entity_id = m.entity_id and d.year = t.year
    group by t.title, t.year, t.hamlet
    """
)


class SqlMetricsStore:
    """Everything the metrics handlers read and write, on one transaction's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def upsert_areas(self, rows: Sequence[dict[str, object]]) -> list[str]:
        """Keep the highest version of each area; returns the codes whose row changed."""
        if not rows:
            return []
        statement = postgresql.insert(AREAS)
        result = await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["code"],
                set_={c: statement.excluded[c] for c in ("level", "name", "parent_code", "province_code", "version")},
                where=AREAS.c.version < statement.excluded.version,
            ).returning(AREAS.c.code),
            list(rows),
        )
        return [r.code for r in result]

    async def area_names(self, codes: Iterable[str]) -> dict[str, str]:
        codes = list(set(codes))
        if not codes:
            return {}
        rows = await self.connection.execute(sa.select(AREAS.c.code, AREAS.c.name).where(AREAS.c.code.in_(codes)))
        return {r.code: r.name for r in rows}

    async def members(self, title: Title, entity_ids: Iterable[str]) -> dict[str, sa.Row]:
        ids = list(entity_ids)
        if not ids:
            return {}
        rows = await self.connection.execute(
            sa.select(MEMBERS).where(MEMBERS.c.title == title.value, MEMBERS.c.entity_id.in_(ids))
        )
        return {r.entity_id: r for r in rows}

    async def save_members(self, rows: Sequence[dict[str, object]]) -> None:
        if not rows:
            return
        statement = postgresql.insert(MEMBERS)
        columns = ("hamlet_code", "commune_code", "province_code", "from_year", "until_year", "version")
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "entity_id"],
                set_={c: statement.excluded[c] for c in columns},
                where=MEMBERS.c.version < statement.excluded.version,
            ),
            list(rows),
        )

    async def apply_decisions(self, rows: Sequence[dict[str, object]]) -> list[tuple[str, int]]:
        """Keep the highest revision per entity and year; returns the (entity, year) that changed."""
        if not rows:
            return []
        statement = postgresql.insert(DECISIONS)
        result = await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "entity_id", "year"],
                set_={c: statement.excluded[c] for c in ("granted", "rule_version", "revision")},
                where=DECISIONS.c.revision < statement.excluded.revision,
            ).returning(DECISIONS.c.entity_id, DECISIONS.c.year),
            list(rows),
        )
        return [(r.entity_id, r.year) for r in result]

    async def add_years(self, title: Title, years: Iterable[int]) -> list[int]:
        """Record assessment years; returns those seen for the first time."""
        years = sorted(set(years))
        if not years:
            return []
        result = await self.connection.execute(
            postgresql.insert(YEARS).on_conflict_do_nothing().returning(YEARS.c.year),
            [{"title": title.value, "year": y} for y in years],
        )
        return [r.year for r in result]

    async def years(self, title: Title) -> list[int]:
        rows = await self.connection.execute(sa.select(YEARS.c.year).where(YEARS.c.title == title.value))
        return sorted(r.year for r in rows)

    async def hamlets(self, title: Title) -> list[str]:
        rows = await self.connection.execute(
            sa.select(MEMBERS.c.hamlet_code).where(MEMBERS.c.title == title.value).distinct()
        )
        return [r.hamlet_code for r in rows]

    async def lock(self, keys: Iterable[str]) -> None:
        """Serialise recounts of the same cells across transactions and replicas.

        Locks are taken in sorted order, leaves before parents, so two transactions never wait
        on each other in a cycle.
        """
        for key in sorted(set(keys)):
            await self.connection.execute(
                sa.select(sa.func.pg_advisory_xact_lock(zlib.crc32(key.encode())))
            )

    async def recount_hamlets(self, targets: Sequence[tuple[Title, int, str]]) -> list[sa.Row]:
        if not targets:
            return []
        result = await self.connection.execute(
            _RECOUNT_HAMLETS,
            {
                "titles": [t.value for t, _, _ in targets],
                "years": [y for _, y, _ in targets],
                "hamlets": [h for _, _, h in targets],
            },
        )
        return list(result)

    async def cells(self, keys: Iterable[CellKey]) -> dict[CellKey, Cell]:
        keys = list(set(keys))
        if not keys:
            return {}
        rows = await self.connection.execute(
            sa.select(CELLS).where(
                sa.tuple_(CELLS.c.title, CELLS.c.year, CELLS.c.level, CELLS.c.area_code).in_(
                    [(t.value, y, lv.value, a) for t, y, lv, a in keys]
                )
            )
        )
        return {cell.key: cell for cell in map(_cell, rows)}

    async def children(self, level: Level, parents: Iterable[tuple[Title, int, str]]) -> list[Cell]:
        """Cells one level below the given parents (hamlets of communes, communes of provinces)."""
        parents = list(set(parents))
        if not parents:
            return []
        parent_column = CELLS.c.commune_code if level == Level.HAMLET else CELLS.c.province_code
        rows = await self.connection.execute(
            sa.select(CELLS).where(
                CELLS.c.level == level.value,
                sa.tuple_(CELLS.c.title, CELLS.c.year, parent_column).in_(
                    [(t.value, y, p) for t, y, p in parents]
                ),
            )
        )
        return [_cell(r) for r in rows]

    async def save_cells(self, cells: Sequence[Cell]) -> None:
        if not cells:
            return
        statement = postgresql.insert(CELLS)
        columns = ("commune_code", "province_code", "total", "registered", "recognised", "revision")
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "year", "level", "area_code"],
                set_={**{c: statement.excluded[c] for c in columns}, "updated_at": sa.func.now()},
            ),
            [
                {
                    "title": c.title.value,
                    "year": c.year,
                    "level": c.level.value,
                    "area_code": c.area_code,
                    "commune_code": c.commune_code,
                    "province_code": c.province_code,
                    "total": c.counts.total,
                    "registered": c.counts.registered,
                    "recognised": c.counts.recognised,
                    "revision": c.revision,
                }
                for c in cells
            ],
        )


def _cell(row: sa.Row) -> Cell:
    return Cell(
        title=Title(row.title),
        year=row.year,
        level=Level(row.level),
        area_code=row.area_code,
        commune_code=row.commune_code,
        province_code=row.province_code,
        counts=Counts(row.total, row.registered, row.recognised),
        revision=row.revision,
    )


async def read_cells(
    connection: AsyncConnection,
    *,
    levels: Sequence[Level] | None = None,
    title: Title | None = None,
    year: int | None = None,
    parent_code: str | None = None,
) -> list[tuple[Cell, str | None]]:
    """Cells with their area names, for the API and the Prometheus collector."""
    query = sa.select(CELLS, AREAS.c.name).join(AREAS, AREAS.c.code == CELLS.c.area_code, isouter=True)
    if levels:
        query = query.where(CELLS.c.level.in_([lv.value for lv in levels]))
    if title:
        query = query.where(CELLS.c.title == title.value)
    if year:
        query = query.where(CELLS.c.year == year)
    if parent_code:
        query = query.where(
            sa.or_(
                sa.and_(CELLS.c.level == Level.HAMLET.value, CELLS.c.commune_code == parent_code),
                sa.and_(CELLS.c.level == Level.COMMUNE.value, CELLS.c.province_code == parent_code),
            )
        )
    rows = await connection.execute(query.order_by(CELLS.c.title, CELLS.c.year, CELLS.c.level, CELLS.c.area_code))
    return [(_cell(r), r.name) for r in rows]


class MetricsSqlUnitOfWork(SqlUnitOfWork):
    def _bind(self, connection: AsyncConnection) -> None:
        self.store = SqlMetricsStore(connection)


_FROM_SCRATCH = sa.text(
    """
    with years as (select title, year from assessment_year),
    hamlet_cells as (
        select y.title, y.year, m.hamlet_code, m.commune_code, m.province_code,
               count(*) as total,
               count(d.entity_id) as registered,
               count(d.entity_id) filter (where d.granted) as recognised
        from years y
        join member m on m.title = y.title and m.from_year <= y.year
                      and (m.until_year is null or m.until_year > y.year)
        left join decision d on d.title = m.title and d.entity_id = m.entity_id and d.year = y.year
        group by y.title, y.year, m.hamlet_code, m.commune_code, m.province_code
    )
    select title, year, 'hamlet' as level, hamlet_code as area_code, total, registered, recognised from hamlet_cells
    union all
    select title, year, 'commune', commune_code, sum(total), sum(registered), sum(recognised)
      from hamlet_cells group by title, year, commune_code
    union all
    select title, year, 'province', province_code, sum(total), sum(registered), sum(recognised)
      from hamlet_cells group by title, year, province_code
    """
)


async def recount_from_scratch(connection: AsyncConnection) -> dict[CellKey, Counts]:
    """Every cell recomputed from the base facts in one query (what `reconcile` compares to)."""
    rows = await connection.execute(_FROM_SCRATCH)
    return {
        (Title(r.title), r.year, Level(r.level), r.area_code): Counts(int(r.total), int(r.registered), int(r.recognised))
        for r in rows
    }


async def stored_counts(connection: AsyncConnection) -> dict[CellKey, Counts]:
    """The incrementally kept cells, leaving out cells that fell to zero (a recount has no row for them)."""
    rows = await connection.execute(sa.select(CELLS))
    return {
        cell.key: cell.counts
        for cell in map(_cell, rows)
        if cell.counts != Counts()
    }
