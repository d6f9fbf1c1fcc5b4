"""Re-publishing after a reorganisation, in small steps.

A merger or a move changes where everything below a unit belongs (its province, a hamlet's
commune). Rather than one enormous transaction, each moved unit leaves a job: the job fixes that
unit's own households, clans and learning units, and leaves a job for each child whose province
changed. A closed unit with a successor leaves a job that moves its clans and units to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shared.events.vocabulary import Level
from shared.outbox import encode

from ..adapters.db import CLANS, HOUSEHOLDS, JOBS, LEARNING_UNITS, MAPPINGS, UNITS
from ..domain.model import moved
from .snapshots import snapshot

log = logging.getLogger(__name__)


class Republisher:
    def __init__(self, unit_of_work: Callable[[], Any], *, clock: Callable[[], datetime], interval: float = 2.0,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.unit_of_work = unit_of_work
        self.clock = clock
        self.interval = interval
        self.on_change = on_change
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                while not stopping.is_set() and await self.run_once():
                    pass
            except Exception:
                log.exception("re-publication job failed; will retry")
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.interval)

    async def run_once(self) -> bool:
        """Do one job; False when there is none."""
        async with self.unit_of_work() as uow:
            connection = uow.store.connection
            job = (
                await connection.execute(sa.select(JOBS).order_by(JOBS.c.id).limit(1).with_for_update(skip_locked=True))
            ).first()
            if job is None:
                return False
            changed: list[tuple[str, Any]] = []
            children: list[str] = []
            if job.kind == "subtree":
                children = await self._subtree(connection, job.code, changed)
            else:
                await self._successor(connection, job.code, changed)
            for kind in ("unit", "household", "clan", "learning_unit"):
                entities = [e for k, e in changed if k == kind]
                await uow.store.save(kind, entities)
            await uow.store.add_jobs(("subtree", code) for code in children)
            now = self.clock()
            await uow.outbox.add([encode(snapshot(kind, entity), source="/hoctap/registry", now=now) for kind, entity in changed])
            await connection.execute(JOBS.delete().where(JOBS.c.id == job.id))
            await uow.commit()
        if changed:
            self.on_change()
        return True

    async def _unit(self, connection: Any, code: str) -> Any:
        row = (await connection.execute(sa.select(UNITS).where(UNITS.c.code == code))).first()
        return MAPPINGS["unit"].from_row(row) if row else None

    async def _subtree(self, connection: Any, code: str, changed: list[tuple[str, Any]]) -> list[str]:
        unit = await self._unit(connection, code)
        if unit is None:
            return []
        parent = await self._unit(connection, unit.parent_code) if unit.parent_code else None
        province = parent.province_code if parent else unit.code
        if unit.province_code != province:
            unit = replace(unit, province_code=province, version=unit.version + 1)
            changed.append(("unit", unit))
        if unit.level == Level.HAMLET and unit.open:
            rows = await connection.execute(sa.select(HOUSEHOLDS).where(HOUSEHOLDS.c.hamlet_code == code))
            for row in rows:
                household = MAPPINGS["household"].from_row(row)
                if (household.commune_code, household.province_code) != (unit.parent_code, unit.province_code):
                    changed.append(("household", replace(household, commune_code=unit.parent_code or "",
                                                         province_code=unit.province_code, version=household.version + 1)))
        if unit.level == Level.COMMUNE:
            for table, kind, column in ((CLANS, "clan", "home_commune_code"), (LEARNING_UNITS, "learning_unit", "commune_code")):
                for row in await connection.execute(sa.select(table).where(table.c[column] == code)):
                    entity = MAPPINGS[kind].from_row(row)
                    if entity.province_code != unit.province_code:
                        changed.append((kind, replace(entity, province_code=unit.province_code, version=entity.version + 1)))
        rows = await connection.execute(sa.select(UNITS.c.code, UNITS.c.province_code, UNITS.c.level).where(UNITS.c.parent_code == code))
        return [r.code for r in rows if r.province_code != unit.province_code or r.level == Level.HAMLET.value]

    async def _successor(self, connection: Any, code: str, changed: list[tuple[str, Any]]) -> None:
        closed = await self._unit(connection, code)
        if closed is None or closed.successor_code is None or closed.valid_to is None:
            return
        successor = await self._unit(connection, closed.successor_code)
        seen = {code}
        while successor is not None and successor.successor_code and successor.code not in seen:
            seen.add(successor.code)
            successor = await self._unit(connection, successor.successor_code)
        if successor is None:
            return
        since = closed.valid_to + timedelta(days=1)
        for table, kind, column in ((CLANS, "clan", "home_commune_code"), (LEARNING_UNITS, "learning_unit", "commune_code")):
            for row in await connection.execute(sa.select(table).where(table.c[column] == code)):
                entity = MAPPINGS[kind].from_row(row)
                updated = replace(entity, province_code=successor.province_code, version=entity.version + 1,
                                  commune_history=moved(entity.commune_history, successor.code, since))
                updated = replace(updated, home_commune_code=successor.code) if kind == "clan" else replace(updated, commune_code=successor.code)
                changed.append((kind, updated))
