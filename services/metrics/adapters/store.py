"""The SQL metrics store: snapshots, places, years and locks (facts and cells are in their mixins).

Every write is one set-based statement over arrays (unnest), whatever the batch size.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Title

from ..domain.hierarchy import AreaRecord
from ..domain.placement import Span
from .sql import AREA_RECORDS, advisory_locks, periods_json
from .store_cells import CellStatements
from .store_facts import FactStatements
from .store_snapshots import SnapshotStatements

HOUSEHOLD_BUCKETS = (
    64  # few enough lock slots per transaction, enough to let unrelated batches overlap
)

# The history as its JSON text: every column a plain value, so the row is its own cache key.
_AREAS = sa.text(
    "select code, level, name, parent_code, cast(parent_history as text) as parent_history, province_code,"
    " valid_from, valid_to, successor_code, current_code, version from area where code = any(cast(:codes as text[]))"
)
_SAVE_AREAS = sa.text(
    """
    insert into area as a (code, level, name, parent_code, parent_history, province_code, valid_from, valid_to,
                           successor_code, version)
    select u.code, u.level, u.name, u.parent_code, cast(u.history as jsonb), u.province_code, u.valid_from,
           u.valid_to, u.successor_code, u.version
    from unnest(cast(:code as text[]), cast(:level as text[]), cast(:name as text[]), cast(:parent_code as text[]),
                cast(:history as text[]), cast(:province_code as text[]), cast(:valid_from as date[]),
                cast(:valid_to as date[]), cast(:successor_code as text[]), cast(:version as int[]))
         as u(code, level, name, parent_code, history, province_code, valid_from, valid_to, successor_code, version)
    on conflict (code) do update set level = excluded.level, name = excluded.name, parent_code = excluded.parent_code,
        parent_history = excluded.parent_history, province_code = excluded.province_code,
        valid_from = excluded.valid_from, valid_to = excluded.valid_to, successor_code = excluded.successor_code,
        version = excluded.version
      where a.version < excluded.version
    returning a.code
    """
)
_INSERT_PLACES = sa.text(
    """
    insert into place (title, entity_id, from_year, leaf_code, until_year)
    select :title, * from unnest(cast(:id as text[]), cast(:from_year as int[]), cast(:leaf as text[]),
                                 cast(:until_year as int[]))
    """
)


class SqlMetricsStore(SnapshotStatements, FactStatements, CellStatements):
    """Everything the metrics handlers read and write, on one transaction's connection."""

    def __init__(self, connection: AsyncConnection, namespace: str = "") -> None:
        self.connection = connection
        self.namespace = namespace

    # --- locks ---------------------------------------------------------------------------
    async def lock_areas(self) -> None:
        await advisory_locks(self.connection, [f"{self.namespace}|metrics-areas"])

    async def lock_years(self, titles: Iterable[Title], *, exclusive: bool) -> None:
        names = [f"{self.namespace}|metrics-years|{t.value}" for t in titles]
        await advisory_locks(self.connection, names, exclusive=exclusive)

    async def lock_cells(self, titles: Iterable[Title]) -> None:
        await advisory_locks(
            self.connection, [f"{self.namespace}|metrics-cells|{t.value}" for t in titles]
        )

    async def lock_household_buckets(
        self, household_ids: Iterable[str], *, exclusive: bool
    ) -> None:
        buckets = {zlib.crc32(h.encode()) % HOUSEHOLD_BUCKETS for h in household_ids}
        names = [f"{self.namespace}|metrics-households|{b}" for b in buckets]
        await advisory_locks(self.connection, names, exclusive=exclusive)

    async def lock_every_household(self) -> None:
        names = [f"{self.namespace}|metrics-households|{b}" for b in range(HOUSEHOLD_BUCKETS)]
        await advisory_locks(self.connection, names)

    # --- areas ---------------------------------------------------------------------------
    async def save_areas(self, areas: Sequence[AreaRecord]) -> list[AreaRecord]:
        result = await self.connection.execute(
            _SAVE_AREAS,
            {
                "code": [a.code for a in areas],
                "level": [a.level.value for a in areas],
                "name": [a.name for a in areas],
                "parent_code": [a.parent_code for a in areas],
                "history": [periods_json(a.parent_history) for a in areas],
                "province_code": [a.province_code for a in areas],
                "valid_from": [a.valid_from for a in areas],
                "valid_to": [a.valid_to for a in areas],
                "successor_code": [a.successor_code for a in areas],
                "version": [a.version for a in areas],
            },
        )
        written = {row.code for row in result}
        return [a for a in areas if a.code in written]

    async def areas(self, codes: Iterable[str]) -> dict[str, AreaRecord]:
        rows = await self.connection.execute(_AREAS, {"codes": list(set(codes))})
        return {row.code: AREA_RECORDS.of(row) for row in rows}

    async def areas_pointing_to(self, codes: Iterable[str]) -> set[str]:
        rows = await self.connection.execute(
            sa.text(
                "select code from area where successor_code = any(cast(:codes as text[]))"
                " or current_code = any(cast(:codes as text[]))"
            ),
            {"codes": list(set(codes))},
        )
        return {row.code for row in rows}

    async def areas_under(self, codes: Iterable[str]) -> set[str]:
        codes = list(set(codes))
        if not codes:
            return set()
        rows = await self.connection.execute(
            sa.text("select code from area where parent_code = any(cast(:codes as text[]))"),
            {"codes": codes},
        )
        return {row.code for row in rows}

    async def set_current_codes(self, current: Mapping[str, str]) -> dict[str, str]:
        if not current:
            return {}
        rows = await self.connection.execute(
            sa.text("select code, current_code from area where code = any(cast(:codes as text[]))"),
            {"codes": list(current)},
        )
        before = {row.code: row.current_code for row in rows}
        changed = {
            code: (before.get(code) or code)
            for code, now in current.items()
            if (before.get(code) or code) != now
        }
        await self.connection.execute(
            sa.text(
                "update area set current_code = u.now from unnest(cast(:codes as text[]), cast(:now as text[]))"
                " as u(code, now) where area.code = u.code and area.current_code is distinct from u.now"
            ),
            {"codes": list(current), "now": list(current.values())},
        )
        return changed

    async def places(self, title: Title, entity_ids: Iterable[str]) -> dict[str, tuple[Span, ...]]:
        ids = list(set(entity_ids))
        if not ids:
            return {}
        rows = await self.connection.execute(
            sa.text(
                "select entity_id, from_year, leaf_code, until_year from place"
                " where title = :title and entity_id = any(cast(:ids as text[])) order by entity_id, from_year"
            ),
            {"title": title.value, "ids": ids},
        )
        spans: dict[str, list[Span]] = defaultdict(list)
        for row in rows:
            spans[row.entity_id].append(Span(row.leaf_code, row.from_year, row.until_year))
        return {entity: tuple(s) for entity, s in spans.items()}

    async def replace_places(self, title: Title, places: Mapping[str, tuple[Span, ...]]) -> None:
        await self.connection.execute(
            sa.text(
                "delete from place where title = :title and entity_id = any(cast(:ids as text[]))"
            ),
            {"title": title.value, "ids": list(places)},
        )
        spans = [(entity, span) for entity, entity_spans in places.items() for span in entity_spans]
        if spans:
            await self.connection.execute(
                _INSERT_PLACES,
                {
                    "title": title.value,
                    "id": [e for e, _ in spans],
                    "from_year": [s.from_year for _, s in spans],
                    "leaf": [s.leaf_code for _, s in spans],
                    "until_year": [s.until_year for _, s in spans],
                },
            )

    async def known_years(self, title: Title) -> set[int]:
        rows = await self.connection.execute(
            sa.text("select year from assessment_year where title = :title"), {"title": title.value}
        )
        return {row.year for row in rows}

    async def refresh_statistics(self) -> None:
        # A year opening adds a row per entity and a cell per area at once. Until autovacuum
        # notices (a minute or more), the planner believes the tables are as small as before and
        # picks plans that scan a whole level per key looked up. ANALYZE samples a bounded number
        # of rows, and inside this transaction it counts the rows this transaction wrote.
        await self.connection.execute(sa.text("analyze fact, cell"))

    async def add_years(self, title: Title, years: Iterable[int]) -> list[int]:
        result = await self.connection.execute(
            sa.text(
                "insert into assessment_year (title, year) select :title, unnest(cast(:years as int[]))"
                " on conflict do nothing returning year"
            ),
            {"title": title.value, "years": sorted(set(years))},
        )
        return sorted(row.year for row in result)
