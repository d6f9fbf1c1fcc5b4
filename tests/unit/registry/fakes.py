"""An in-memory registry store with the same methods as adapters.db.SqlRegistryStore."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from services.registry.adapters.db import WORLD_FIELDS
from services.registry.domain.world import World
from shared.testing import FakeUnitOfWork

KEYS = {
    "unit": lambda e: e.code,
    "household": lambda e: e.household_id,
    "citizen": lambda e: e.citizen_id,
    "clan": lambda e: e.clan_id,
    "learning_unit": lambda e: e.unit_id,
    "registration": lambda e: (e.title, e.entity_id, e.year),
    "evidence": lambda e: (e.title, e.entity_id, e.year),
}


class MemoryRegistryStore:
    def __init__(self) -> None:
        self.tables: dict[str, dict[Any, Any]] = {kind: {} for kind in KEYS}
        self.audit_rows: list[dict[str, Any]] = []
        self.jobs: list[tuple[str, str]] = []
        self.parked: list[dict[str, Any]] = []

    async def load(self, world: World, kind: str, keys: Iterable[Any]) -> None:
        target = getattr(world, WORLD_FIELDS[kind])
        for key in set(keys):
            if key in self.tables[kind] and key not in target:
                target[key] = self.tables[kind][key]

    async def load_with_ancestors(self, world: World, codes: Iterable[str]) -> None:
        pending = set(codes)
        while pending:
            code = pending.pop()
            unit = self.tables["unit"].get(code)
            if unit is not None and code not in world.units:
                world.units[code] = unit
                if unit.parent_code:
                    pending.add(unit.parent_code)

    async def load_children(self, world: World, parent_codes: Iterable[str]) -> None:
        for code in set(parent_codes):
            if code in world.children:
                continue
            world.children[code] = []
            for unit in self.tables["unit"].values():
                if unit.parent_code == code:
                    world.units.setdefault(unit.code, unit)
                    world.children[code].append(unit.code)

    async def save(self, kind: str, entities: Sequence[Any]) -> None:
        for entity in entities:
            self.tables[kind][KEYS[kind](entity)] = entity

    async def audit(self, entries: Sequence[dict[str, Any]]) -> None:
        self.audit_rows.extend(entries)

    async def add_jobs(self, jobs: Iterable[tuple[str, str]]) -> None:
        self.jobs.extend(sorted(set(jobs)))

    async def park(self, rows: Sequence[dict[str, Any]]) -> None:
        self.parked.extend(rows)


class FakeRegistryUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryRegistryStore()
