"""Read models: cells for the API, the December report and the Prometheus collector.

From the reform year on, the recorded and current hierarchies are the same cells (kept once, as
`current`); a question about `recorded` for such a year reads those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Level, Title

from ..domain.cells import Cell, Hierarchy
from .db import CELLS
from .sql import CELL_FIELDS, cell_of


@dataclass(frozen=True)
class CellQuery:
    hierarchy: Hierarchy = Hierarchy.CURRENT
    title: Title | None = None
    year: int | None = None
    level: Level | None = None
    area_code: str | None = None
    parent_code: str | None = None
    include_empty: bool = False


CELL_SELECT = [
    sa.cast(CELLS.c[f], sa.Text) if f == "rule_versions" else CELLS.c[f] for f in CELL_FIELDS
]


def _hierarchy_clause(hierarchy: Hierarchy, reform_date: date) -> sa.ColumnElement[bool]:
    if hierarchy == Hierarchy.CURRENT:
        return CELLS.c.hierarchy == Hierarchy.CURRENT.value
    return sa.or_(
        CELLS.c.hierarchy == Hierarchy.RECORDED.value,
        sa.and_(CELLS.c.hierarchy == Hierarchy.CURRENT.value, CELLS.c.year >= reform_date.year),
    )


async def read_cells(
    connection: AsyncConnection, query: CellQuery, reform_date: date
) -> list[Cell]:
    statement = sa.select(*CELL_SELECT).where(_hierarchy_clause(query.hierarchy, reform_date))
    for column, value in (
        (CELLS.c.title, query.title.value if query.title else None),
        (CELLS.c.year, query.year),
        (CELLS.c.level, query.level.value if query.level else None),
        (CELLS.c.area_code, query.area_code),
        (CELLS.c.parent_code, query.parent_code),
    ):
        if value is not None:
            statement = statement.where(column == value)
    if not query.include_empty:
        statement = statement.where(sa.or_(CELLS.c.total > 0, CELLS.c.registered > 0))
    statement = statement.order_by(CELLS.c.title, CELLS.c.year, CELLS.c.level, CELLS.c.area_code)
    return [cell_of(row) for row in await connection.execute(statement)]


async def read_exported(
    connection: AsyncConnection, levels: Sequence[Level], first_year: int | None
) -> list[Cell]:
    """Current-hierarchy cells at the exported levels (empty ones left out: nothing to chart)."""
    statement = sa.select(*CELL_SELECT).where(
        CELLS.c.hierarchy == Hierarchy.CURRENT.value,
        CELLS.c.level.in_([level.value for level in levels]),
        sa.or_(CELLS.c.total > 0, CELLS.c.registered > 0),
    )
    if first_year is not None:
        statement = statement.where(CELLS.c.year >= first_year)
    return [cell_of(row) for row in await connection.execute(statement)]
