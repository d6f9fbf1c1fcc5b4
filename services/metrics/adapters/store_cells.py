"""Indicator cells in SQL: read whole series, read by area or parent, save in one statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Title
from shared.sql_arrays import float_array, int_array, text_array

from ..domain.cells import Cell, CellKey, Hierarchy, SeriesKey, Tally
from .sql import CELL_COLUMNS, cell_columns, cell_of, versions_json

_SERIES = sa.text(
    f"""
    select {cell_columns("c")} from unnest(cast(:titles as text[]), cast(:hierarchies as text[]), cast(:levels as text[]),
                           cast(:codes as text[])) as k(title, hierarchy, level, area_code)
    join cell c on c.title = k.title and c.hierarchy = k.hierarchy and c.level = k.level and c.area_code = k.area_code
    """
)
_PROVINCES = sa.text(
    f"""
    select {cell_columns("c")} from unnest(cast(:titles as text[]), cast(:years as int[]), cast(:hierarchies as text[]))
         as k(title, year, hierarchy)
    join cell c on c.title = k.title and c.hierarchy = k.hierarchy and c.level = 'province' and c.year = k.year
    """
)
COLUMNS = (
    ("title", "text"),
    ("hierarchy", "text"),
    ("level", "text"),
    ("area_code", "text"),
    ("year", "int"),
    ("parent_code", "text"),
    ("area_name", "text"),
    ("total", "int"),
    ("registered", "int"),
    ("recognised", "int"),
    ("assessed", "int"),
    ("rule_versions", "text"),
    ("ratio_all", "float8"),
    ("ratio_registered", "float8"),
    ("data_status", "text"),
    ("data_status_reason", "text"),
    ("change_points", "float8"),
    ("goal_percent", "float8"),
    ("goal_year", "int"),
    ("projected_goal_year_percent", "float8"),
    ("target_percent", "float8"),
    ("revision", "int"),
)
_KEY = ("title", "hierarchy", "level", "area_code", "year")
# Each column travels as one array literal (see shared.sql_arrays): 22 arrays a batch.
_LITERAL = {"text": text_array, "int": int_array, "float8": float_array}
_SAVE = sa.text(
    "insert into cell as c ({names}) select {selected} from unnest({arrays}) as u({names})"
    " on conflict ({key}) do update set {updates}, updated_at = now()".format(
        names=", ".join(n for n, _ in COLUMNS),
        selected=", ".join(
            "cast(u.rule_versions as jsonb)" if n == "rule_versions" else f"u.{n}"
            for n, _ in COLUMNS
        ),
        arrays=", ".join(f"cast(cast(:{n} as text) as {t}[])" for n, t in COLUMNS),
        key=", ".join(_KEY),
        updates=", ".join(f"{n} = excluded.{n}" for n, _ in COLUMNS if n not in _KEY),
    )
)


def _row(cell: Cell) -> dict[str, object]:
    key, counts, figures = cell.key, cell.counts, cell.figures
    return {
        "title": key.title.value,
        "hierarchy": key.hierarchy.value,
        "level": key.level.value,
        "area_code": key.area_code,
        "year": key.year,
        "parent_code": cell.parent_code,
        "area_name": cell.area_name,
        "total": counts.total,
        "registered": counts.registered,
        "recognised": counts.recognised,
        "assessed": counts.assessed,
        "rule_versions": versions_json(cell.tally),
        "ratio_all": figures.ratio_all,
        "ratio_registered": figures.ratio_registered,
        "data_status": figures.data_status,
        "data_status_reason": figures.data_status_reason,
        "change_points": figures.change_points,
        "goal_percent": figures.goal_percent,
        "goal_year": figures.goal_year,
        "projected_goal_year_percent": figures.projected_goal_year_percent,
        "target_percent": figures.target_percent,
        "revision": cell.revision,
    }


class CellStatements:
    connection: AsyncConnection

    async def series(self, keys: Iterable[SeriesKey]) -> dict[CellKey, Cell]:
        keys = list(set(keys))
        if not keys:
            return {}
        rows = await self.connection.execute(
            _SERIES,
            {
                "titles": [k.title.value for k in keys],
                "hierarchies": [k.hierarchy.value for k in keys],
                "levels": [k.level.value for k in keys],
                "codes": [k.area_code for k in keys],
            },
        )
        return {cell.key: cell for cell in map(cell_of, rows)}

    async def cells_of_areas(self, codes: Iterable[str]) -> list[Cell]:
        codes = list(set(codes))
        if not codes:
            return []
        rows = await self.connection.execute(
            sa.text(
                f"select {CELL_COLUMNS} from cell where area_code = any(cast(:codes as text[]))"
            ),
            {"codes": codes},
        )
        return [cell_of(row) for row in rows]

    async def children_tallies(
        self, codes: Iterable[str]
    ) -> dict[tuple[Title, int, Hierarchy, str], Tally]:
        codes = list(set(codes))
        if not codes:
            return {}
        rows = await self.connection.execute(
            sa.text(
                f"select {CELL_COLUMNS} from cell where parent_code = any(cast(:codes as text[]))"
            ),
            {"codes": codes},
        )
        sums: dict[tuple[Title, int, Hierarchy, str], Tally] = defaultdict(Tally)
        for cell in map(cell_of, rows):
            sums[(cell.key.title, cell.key.year, cell.key.hierarchy, cell.parent_code)] += (
                cell.tally
            )  # type: ignore[index]
        return dict(sums)

    async def province_cells(self, combos: Iterable[tuple[Title, int, Hierarchy]]) -> list[Cell]:
        combos = list(set(combos))
        if not combos:
            return []
        rows = await self.connection.execute(
            _PROVINCES,
            {
                "titles": [t.value for t, _, _ in combos],
                "years": [y for _, y, _ in combos],
                "hierarchies": [h.value for _, _, h in combos],
            },
        )
        return [cell_of(row) for row in rows]

    async def save_cells(self, cells: Sequence[Cell]) -> None:
        if not cells:
            return
        rows = [_row(cell) for cell in cells]
        await self.connection.execute(
            _SAVE, {name: _LITERAL[kind]([row[name] for row in rows]) for name, kind in COLUMNS}
        )
