"""The registry's snapshots in SQL: keep the highest version of each, say which were newer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Title

from ..domain.placement import CitizenRecord, HomedRecord, HouseholdRecord
from .sql import periods_json

_SAVE_HOUSEHOLDS = sa.text(
    """
    insert into household as h (household_id, hamlet_code, hamlet_history, registered_on, removed_on, version)
    select u.id, u.hamlet, cast(u.history as jsonb), u.registered_on, u.removed_on, u.version
    from unnest(cast(:id as text[]), cast(:hamlet as text[]), cast(:history as text[]), cast(:registered_on as date[]),
                cast(:removed_on as date[]), cast(:version as int[])) as u(id, hamlet, history, registered_on, removed_on, version)
    on conflict (household_id) do update set hamlet_code = excluded.hamlet_code, hamlet_history = excluded.hamlet_history,
        registered_on = excluded.registered_on, removed_on = excluded.removed_on, version = excluded.version
      where h.version < excluded.version
    returning h.household_id
    """
)
_SAVE_CITIZENS = sa.text(
    """
    insert into citizen as c (citizen_id, household_id, birth_year, removed_on, version)
    select * from unnest(cast(:id as text[]), cast(:household as text[]), cast(:birth_year as int[]),
                         cast(:removed_on as date[]), cast(:version as int[]))
    on conflict (citizen_id) do update set household_id = excluded.household_id, birth_year = excluded.birth_year,
        removed_on = excluded.removed_on, version = excluded.version
      where c.version < excluded.version
    returning c.citizen_id
    """
)
_SAVE_HOMED = sa.text(
    """
    insert into homed as h (title, entity_id, commune_code, commune_history, registered_on, version)
    select :title, u.id, u.commune, cast(u.history as jsonb), u.registered_on, u.version
    from unnest(cast(:id as text[]), cast(:commune as text[]), cast(:history as text[]), cast(:registered_on as date[]),
                cast(:version as int[])) as u(id, commune, history, registered_on, version)
    on conflict (title, entity_id) do update set commune_code = excluded.commune_code,
        commune_history = excluded.commune_history, registered_on = excluded.registered_on, version = excluded.version
      where h.version < excluded.version
    returning h.entity_id
    """
)


class SnapshotStatements:
    connection: AsyncConnection

    async def save_households(self, rows: Sequence[HouseholdRecord]) -> list[HouseholdRecord]:
        result = await self.connection.execute(
            _SAVE_HOUSEHOLDS,
            {
                "id": [h.household_id for h in rows],
                "hamlet": [h.hamlet_code for h in rows],
                "history": [periods_json(h.hamlet_history) for h in rows],
                "registered_on": [h.registered_on for h in rows],
                "removed_on": [h.removed_on for h in rows],
                "version": [h.version for h in rows],
            },
        )
        written = {row.household_id for row in result}
        return [h for h in rows if h.household_id in written]

    async def save_citizens(self, rows: Sequence[CitizenRecord]) -> list[CitizenRecord]:
        result = await self.connection.execute(
            _SAVE_CITIZENS,
            {
                "id": [c.citizen_id for c in rows],
                "household": [c.household_id for c in rows],
                "birth_year": [c.birth_year for c in rows],
                "removed_on": [c.removed_on for c in rows],
                "version": [c.version for c in rows],
            },
        )
        written = {row.citizen_id for row in result}
        return [c for c in rows if c.citizen_id in written]

    async def _citizens_where(self, column: str, values: Iterable[str]) -> list[CitizenRecord]:
        values = list(set(values))
        if not values:
            return []
        rows = await self.connection.execute(
            sa.text(f"select * from citizen where {column} = any(cast(:values as text[]))"),
            {"values": values},
        )
        return [
            CitizenRecord(r.citizen_id, r.household_id, r.birth_year, r.removed_on, r.version)
            for r in rows
        ]

    async def citizens(self, citizen_ids: Iterable[str]) -> dict[str, CitizenRecord]:
        return {c.citizen_id: c for c in await self._citizens_where("citizen_id", citizen_ids)}

    async def citizens_of(self, household_ids: Iterable[str]) -> list[CitizenRecord]:
        return await self._citizens_where("household_id", household_ids)

    async def save_homed(self, title: Title, rows: Sequence[HomedRecord]) -> list[HomedRecord]:
        result = await self.connection.execute(
            _SAVE_HOMED,
            {
                "title": title.value,
                "id": [e.entity_id for e in rows],
                "commune": [e.commune_code for e in rows],
                "history": [periods_json(e.commune_history) for e in rows],
                "registered_on": [e.registered_on for e in rows],
                "version": [e.version for e in rows],
            },
        )
        written = {row.entity_id for row in result}
        return [e for e in rows if e.entity_id in written]

    # --- places and years ----------------------------------------------------------------
