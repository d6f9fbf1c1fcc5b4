"""The from-scratch recount `reconcile` and `rebuild` compare with: base facts only, in SQL.

Leaves are recounted from the places (not from the fact rows' own leaf) joined with each fact
row's registration and decision, so a fact row left at a stale leaf shows up as a difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Title

from ..domain.cells import Cell, CellKey, Counts, Tally
from ..domain.hierarchy import AreaRecord
from ..domain.placement import CitizenRecord, HomedRecord, HouseholdRecord, Span
from ..ports import LeafYear
from .sql import CELL_COLUMNS, area_of, cell_of, periods_of
from .store_facts import add_tally_row

_LEAVES_FROM_PLACES = sa.text(
    """
    select p.title, y.year, p.leaf_code, f.rule_version,
           count(*) as total,
           count(*) filter (where f.registered or f.decided) as registered,
           count(*) filter (where f.decided and f.granted) as recognised,
           count(*) filter (where f.decided and f.assessable) as assessed,
           count(*) filter (where f.decided) as decided
    from place p
    join assessment_year y on y.title = p.title and p.from_year <= y.year
                          and (p.until_year is null or p.until_year > y.year)
    left join fact f on f.title = p.title and f.entity_id = p.entity_id and f.year = y.year
    group by p.title, y.year, p.leaf_code, f.rule_version
    """
)
_STALE_FACT_LEAVES = sa.text(
    """
    select f.title, f.entity_id, f.year, f.leaf_code, p.leaf_code as expected
    from fact f
    join assessment_year y on y.title = f.title and y.year = f.year
    left join place p on p.title = f.title and p.entity_id = f.entity_id and p.from_year <= f.year
                     and (p.until_year is null or p.until_year > f.year)
    where f.leaf_code is distinct from p.leaf_code
    order by f.title, f.entity_id, f.year
    limit :limit
    """
)


async def leaf_tallies_from_places(connection: AsyncConnection) -> dict[LeafYear, Tally]:
    tallies: dict[LeafYear, Tally] = defaultdict(Tally)
    for row in await connection.execute(_LEAVES_FROM_PLACES):
        add_tally_row(tallies, (Title(row.title), row.year, row.leaf_code), row)
    return dict(tallies)


async def stale_fact_leaves(connection: AsyncConnection, limit: int = 1000) -> list[sa.Row]:
    """Fact rows whose leaf disagrees with the entity's places (should be none)."""
    return list(await connection.execute(_STALE_FACT_LEAVES, {"limit": limit}))


async def all_areas(connection: AsyncConnection) -> dict[str, AreaRecord]:
    return {
        row.code: area_of(row) for row in await connection.execute(sa.text("select * from area"))
    }


async def all_cells(connection: AsyncConnection) -> dict[CellKey, Cell]:
    return {
        cell.key: cell
        for cell in map(
            cell_of, await connection.execute(sa.text(f"select {CELL_COLUMNS} from cell"))
        )
    }


async def all_places(connection: AsyncConnection) -> dict[tuple[Title, str], tuple[Span, ...]]:
    spans: dict[tuple[Title, str], list[Span]] = defaultdict(list)
    rows = await connection.execute(
        sa.text("select * from place order by title, entity_id, from_year")
    )
    for row in rows:
        spans[(Title(row.title), row.entity_id)].append(
            Span(row.leaf_code, row.from_year, row.until_year)
        )
    return {key: tuple(value) for key, value in spans.items()}


async def all_households(connection: AsyncConnection) -> list[HouseholdRecord]:
    rows = await connection.execute(sa.text("select * from household"))
    return [
        HouseholdRecord(
            r.household_id,
            r.hamlet_code,
            periods_of(r.hamlet_history),
            r.registered_on,
            r.removed_on,
            r.version,
        )
        for r in rows
    ]


async def all_citizens(connection: AsyncConnection) -> list[CitizenRecord]:
    rows = await connection.execute(sa.text("select * from citizen"))
    return [
        CitizenRecord(r.citizen_id, r.household_id, r.birth_year, r.removed_on, r.version)
        for r in rows
    ]


async def all_homed(connection: AsyncConnection) -> dict[Title, list[HomedRecord]]:
    homed: dict[Title, list[HomedRecord]] = defaultdict(list)
    for r in await connection.execute(sa.text("select * from homed")):
        homed[Title(r.title)].append(
            HomedRecord(
                r.entity_id,
                r.commune_code,
                periods_of(r.commune_history),
                r.registered_on,
                r.version,
            )
        )
    return homed


async def stored_counts(
    connection: AsyncConnection, hierarchies: Iterable[str] = ("current",)
) -> dict[tuple[Title, int, object, str], Counts]:
    """The kept cells of some hierarchies as {(title, year, level, area): counts}, leaving out empty ones."""
    wanted = set(hierarchies)
    return {
        (key.title, key.year, key.level, key.area_code): cell.counts
        for key, cell in (await all_cells(connection)).items()
        if key.hierarchy.value in wanted and cell.counts != Counts()
    }
