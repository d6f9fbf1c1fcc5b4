"""Recognition's projections of the registry on PostgreSQL, and the member lookups the cascade
makes over them (used through `SqlRecognitionStore`, on the unit of work's connection)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import any_of

from ..domain.membership import (
    AreaRecord,
    CitizenRecord,
    ClanRecord,
    HouseholdRecord,
    Period,
    UnitRecord,
)
from .db import (
    AREAS,
    CITIZENS,
    CLANS,
    HOUSEHOLD_HAMLETS,
    HOUSEHOLDS,
    UNITS,
)


# Citizens' columns, with `unit_ids` taken as the driver gives it (a list of str): SQLAlchemy's
# ARRAY result processing copies every list element by element, a twentieth of recognition's
# CPU when families' members are loaded.
CITIZEN_COLUMNS = (
    *(column for column in CITIZENS.c if column.name != "unit_ids"),
    sa.type_coerce(CITIZENS.c.unit_ids, sa.types.NullType()).label("unit_ids"),
)


def _citizen(row: Any) -> CitizenRecord:
    return CitizenRecord(
        row.citizen_id,
        row.birth_year,
        row.household_id,
        tuple(row.unit_ids),
        row.removed_on,
        row.version,
    )


def _household(row: Any, periods: Sequence[Period]) -> HouseholdRecord:
    return HouseholdRecord(
        row.household_id,
        row.hamlet_code,
        row.commune_code,
        row.province_code,
        row.registered_on,
        row.removed_on,
        row.clan_id,
        tuple(periods),
        row.version,
    )


class ProjectionQueries:
    connection: AsyncConnection

    # --- projections ---------------------------------------------------------------------------

    async def citizens(self, ids: Iterable[str]) -> dict[str, CitizenRecord]:
        rows = await self.connection.execute(
            sa.select(*CITIZEN_COLUMNS).where(any_of(CITIZENS.c.citizen_id, ids))
        )
        return {r.citizen_id: _citizen(r) for r in rows}

    async def households(self, ids: Iterable[str]) -> dict[str, HouseholdRecord]:
        ids = list(ids)
        rows = (
            await self.connection.execute(
                sa.select(HOUSEHOLDS).where(any_of(HOUSEHOLDS.c.household_id, ids))
            )
        ).all()
        periods = await self._periods([r.household_id for r in rows])
        return {r.household_id: _household(r, periods.get(r.household_id, ())) for r in rows}

    async def _periods(self, ids: list[str]) -> dict[str, list[Period]]:
        found: dict[str, list[Period]] = defaultdict(list)
        if ids:
            rows = await self.connection.execute(
                sa.select(HOUSEHOLD_HAMLETS)
                .where(any_of(HOUSEHOLD_HAMLETS.c.household_id, ids))
                .order_by(HOUSEHOLD_HAMLETS.c.valid_from)
            )
            for r in rows:
                found[r.household_id].append(Period(r.hamlet_code, r.valid_from, r.valid_to))
        return found

    async def units(self, ids: Iterable[str]) -> dict[str, UnitRecord]:
        rows = await self.connection.execute(sa.select(UNITS).where(any_of(UNITS.c.unit_id, ids)))
        return {
            r.unit_id: UnitRecord(
                r.unit_id, r.commune_code, r.province_code, r.member_count, r.version
            )
            for r in rows
        }

    async def save_citizens(self, records: Sequence[CitizenRecord]) -> None:
        await self._upsert(
            CITIZENS,
            "citizen_id",
            [
                {
                    "citizen_id": c.citizen_id,
                    "birth_year": c.birth_year,
                    "household_id": c.household_id,
                    "unit_ids": list(c.unit_ids),
                    "removed_on": c.removed_on,
                    "version": c.version,
                }
                for c in records
            ],
        )

    async def save_households(self, records: Sequence[HouseholdRecord]) -> None:
        await self._upsert(
            HOUSEHOLDS,
            "household_id",
            [
                {
                    "household_id": h.household_id,
                    "hamlet_code": h.hamlet_code,
                    "commune_code": h.commune_code,
                    "province_code": h.province_code,
                    "registered_on": h.registered_on,
                    "removed_on": h.removed_on,
                    "clan_id": h.clan_id,
                    "version": h.version,
                }
                for h in records
            ],
        )
        if records:
            ids = [h.household_id for h in records]
            await self.connection.execute(
                HOUSEHOLD_HAMLETS.delete().where(any_of(HOUSEHOLD_HAMLETS.c.household_id, ids))
            )
            rows = [
                {
                    "household_id": h.household_id,
                    "hamlet_code": p.code,
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                }
                for h in records
                for p in h.periods
            ]
            if rows:
                await self.connection.execute(
                    postgresql.insert(HOUSEHOLD_HAMLETS).on_conflict_do_nothing(), rows
                )

    async def save_units(self, records: Sequence[UnitRecord]) -> None:
        await self._upsert(
            UNITS,
            "unit_id",
            [
                {
                    "unit_id": u.unit_id,
                    "commune_code": u.commune_code,
                    "province_code": u.province_code,
                    "member_count": u.member_count,
                    "version": u.version,
                }
                for u in records
            ],
        )

    async def save_clans(self, records: Sequence[ClanRecord]) -> None:
        await self._upsert(
            CLANS,
            "clan_id",
            [
                {
                    "clan_id": c.clan_id,
                    "home_commune_code": c.home_commune_code,
                    "home_hamlet_code": c.home_hamlet_code,
                    "province_code": c.province_code,
                    "version": c.version,
                }
                for c in records
            ],
        )

    async def save_areas(self, records: Sequence[AreaRecord]) -> None:
        await self._upsert(
            AREAS,
            "code",
            [
                {
                    "code": a.code,
                    "level": a.level,
                    "name": a.name,
                    "parent_code": a.parent_code,
                    "province_code": a.province_code,
                    "version": a.version,
                }
                for a in records
            ],
        )

    async def versions(self, table: str, ids: Iterable[str]) -> dict[str, int]:
        target = {
            "citizen": CITIZENS,
            "household": HOUSEHOLDS,
            "unit": UNITS,
            "clan": CLANS,
            "area": AREAS,
        }[table]
        key = target.primary_key.columns.values()[0]
        rows = await self.connection.execute(
            sa.select(key, target.c.version).where(any_of(key, ids))
        )
        return {row[0]: row[1] for row in rows}

    async def _upsert(self, table: sa.Table, key: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        statement = postgresql.insert(table)
        columns = [c.name for c in table.columns if c.name != key]
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[key],
                set_={c: statement.excluded[c] for c in columns},
                where=table.c.version < statement.excluded.version,
            ),
            rows,
        )

    # --- members, for the cascade --------------------------------------------------------------------

    async def household_citizens(self, household_ids: Iterable[str]) -> list[CitizenRecord]:
        rows = await self.connection.execute(
            sa.select(*CITIZEN_COLUMNS).where(any_of(CITIZENS.c.household_id, household_ids))
        )
        return [_citizen(r) for r in rows]

    async def unit_citizens(self, unit_ids: Iterable[str]) -> list[CitizenRecord]:
        ids = list(unit_ids)
        rows = await self.connection.execute(
            sa.select(*CITIZEN_COLUMNS).where(
                CITIZENS.c.unit_ids.overlap(sa.cast(ids, postgresql.ARRAY(sa.Text)))
            )
        )
        return [_citizen(r) for r in rows]

    async def clan_households(self, clan_ids: Iterable[str]) -> list[HouseholdRecord]:
        rows = await self.connection.execute(
            sa.select(HOUSEHOLDS.c.household_id).where(any_of(HOUSEHOLDS.c.clan_id, clan_ids))
        )
        return list((await self.households(r.household_id for r in rows)).values())

    async def hamlet_households(self, codes: Iterable[str]) -> list[HouseholdRecord]:
        """Households that ever lived in these hamlets (the cascade picks who lived there on 31 December)."""
        rows = await self.connection.execute(
            sa.select(HOUSEHOLD_HAMLETS.c.household_id)
            .where(any_of(HOUSEHOLD_HAMLETS.c.hamlet_code, codes))
            .distinct()
        )
        return list((await self.households(r.household_id for r in rows)).values())
