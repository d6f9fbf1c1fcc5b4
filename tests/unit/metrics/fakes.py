"""An in-memory metrics store implementing services.metrics.ports.MetricsStore, for handler tests."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from services.metrics.domain.cells import Cell, CellKey, Hierarchy, SeriesKey, Tally
from services.metrics.domain.facts import DecisionFact, FactRow, Transition, with_decision
from services.metrics.domain.hierarchy import AreaRecord
from services.metrics.domain.placement import (
    CitizenRecord,
    HomedRecord,
    HouseholdRecord,
    Span,
    leaf_in,
)
from services.metrics.handlers.refresh import leaf_differences
from shared.events.vocabulary import Level, Title
from shared.testing import FakeUnitOfWork


def _newer(rows: dict, key: object, row: object, version: int) -> bool:  # type: ignore[type-arg]
    if key in rows and rows[key].version >= version:
        return False
    rows[key] = row
    return True


class MemoryMetricsStore:
    def __init__(self) -> None:
        self.areas_by_code: dict[str, AreaRecord] = {}
        self.households: dict[str, HouseholdRecord] = {}
        self.citizen_rows: dict[str, CitizenRecord] = {}
        self.homed: dict[tuple[Title, str], HomedRecord] = {}
        self.place_rows: dict[tuple[Title, str], tuple[Span, ...]] = {}
        self.years: dict[Title, set[int]] = defaultdict(set)
        self.facts: dict[tuple[Title, str, int], FactRow] = {}
        self.cells: dict[CellKey, Cell] = {}
        self.locks: list[str] = []
        self.statistics_refreshed = 0

    # --- locks (recorded, so tests can check the order) ----------------------------------
    async def lock_areas(self) -> None:
        self.locks.append("areas")

    async def lock_years(self, titles: Iterable[Title], *, exclusive: bool) -> None:
        self.locks += [f"years:{t.value}:{'exclusive' if exclusive else 'shared'}" for t in titles]

    async def lock_cells(self, titles: Iterable[Title]) -> None:
        self.locks += [f"cells:{t.value}" for t in titles]

    async def lock_household_buckets(
        self, household_ids: Iterable[str], *, exclusive: bool
    ) -> None:
        self.locks.append("households")

    # --- areas ---------------------------------------------------------------------------
    async def save_areas(self, areas: Sequence[AreaRecord]) -> list[AreaRecord]:
        written = []
        for area in areas:
            before = self.areas_by_code.get(area.code)
            if before is None or before.version < area.version:
                kept = replace(area, current_code=before.current_code) if before else area
                self.areas_by_code[area.code] = kept
                written.append(area)
        return written

    async def areas(self, codes: Iterable[str]) -> dict[str, AreaRecord]:
        return {c: self.areas_by_code[c] for c in codes if c in self.areas_by_code}

    async def areas_pointing_to(self, codes: Iterable[str]) -> set[str]:
        wanted = set(codes)
        return {
            a.code
            for a in self.areas_by_code.values()
            if a.successor_code in wanted or a.current_code in wanted
        }

    async def areas_under(self, codes: Iterable[str]) -> set[str]:
        wanted = set(codes)
        return {a.code for a in self.areas_by_code.values() if a.parent_code in wanted}

    async def set_current_codes(self, current: Mapping[str, str]) -> dict[str, str]:
        changed = {}
        for code, now in current.items():
            area = self.areas_by_code[code]
            before = area.current_code or code
            if before != now:
                changed[code] = before
            self.areas_by_code[code] = replace(area, current_code=now)
        return changed

    # --- snapshots -----------------------------------------------------------------------
    async def save_households(self, rows: Sequence[HouseholdRecord]) -> list[HouseholdRecord]:
        return [h for h in rows if _newer(self.households, h.household_id, h, h.version)]

    async def save_citizens(self, rows: Sequence[CitizenRecord]) -> list[CitizenRecord]:
        return [c for c in rows if _newer(self.citizen_rows, c.citizen_id, c, c.version)]

    async def citizens(self, citizen_ids: Iterable[str]) -> dict[str, CitizenRecord]:
        return {c: self.citizen_rows[c] for c in citizen_ids if c in self.citizen_rows}

    async def citizens_of(self, household_ids: Iterable[str]) -> list[CitizenRecord]:
        wanted = set(household_ids)
        return [c for c in self.citizen_rows.values() if c.household_id in wanted]

    async def save_homed(self, title: Title, rows: Sequence[HomedRecord]) -> list[HomedRecord]:
        return [e for e in rows if _newer(self.homed, (title, e.entity_id), e, e.version)]

    # --- places and years ----------------------------------------------------------------
    async def places(self, title: Title, entity_ids: Iterable[str]) -> dict[str, tuple[Span, ...]]:
        return {e: self.place_rows[(title, e)] for e in entity_ids if (title, e) in self.place_rows}

    async def replace_places(self, title: Title, places: Mapping[str, tuple[Span, ...]]) -> None:
        for entity, spans in places.items():
            if spans:
                self.place_rows[(title, entity)] = spans
            else:
                self.place_rows.pop((title, entity), None)

    async def known_years(self, title: Title) -> set[int]:
        return set(self.years[title])

    async def add_years(self, title: Title, years: Iterable[int]) -> list[int]:
        new = sorted(set(years) - self.years[title])
        self.years[title] |= set(new)
        return new

    async def refresh_statistics(self) -> None:
        self.statistics_refreshed += 1

    async def open_year(self, title: Title, year: int) -> None:
        for (t, entity), spans in self.place_rows.items():
            leaf = leaf_in(spans, year)
            if t == title and leaf is not None:
                row = self.facts.get((title, entity, year)) or FactRow(title, entity, year)
                self.facts[(title, entity, year)] = replace(row, leaf_code=leaf)

    # --- facts ---------------------------------------------------------------------------
    async def lock_facts(
        self, title: Title, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], FactRow]:
        rows = {}
        for entity, year in keys:
            rows[(entity, year)] = self.facts.setdefault(
                (title, entity, year), FactRow(title, entity, year)
            )
        return rows

    async def decide(
        self, title: Title, decisions: Mapping[tuple[str, int], DecisionFact]
    ) -> dict[tuple[int, str], Tally]:
        rows = await self.lock_facts(title, decisions)
        transitions = []
        for key, row in rows.items():
            new = with_decision(row, decisions[key])
            if new is not None:
                transitions.append(Transition(row, new))
        await self.write_facts(title, [t.after for t in transitions])
        return {
            (year, leaf): tally
            for (_, year, leaf), tally in leaf_differences(transitions, set()).items()
        }

    async def fact_keys_of(self, title: Title, entity_ids: Iterable[str]) -> list[tuple[str, int]]:
        wanted = set(entity_ids)
        return [(e, y) for (t, e, y) in self.facts if t == title and e in wanted]

    async def write_facts(self, title: Title, rows: Sequence[FactRow]) -> None:
        for row in rows:
            self.facts[(title, row.entity_id, row.year)] = row

    async def leaf_tallies(self, title: Title, year: int) -> dict[str, Tally]:
        tallies: dict[str, Tally] = defaultdict(Tally)
        for (t, _, y), row in self.facts.items():
            if t == title and y == year and row.leaf_code is not None:
                tallies[row.leaf_code] += row.contribution()
        return dict(tallies)

    async def tallies_at_leaves(self, leaves: Iterable[str]) -> dict[tuple[Title, int, str], Tally]:
        wanted = set(leaves)
        tallies: dict[tuple[Title, int, str], Tally] = defaultdict(Tally)
        for (t, _, y), row in self.facts.items():
            if row.leaf_code in wanted:
                tallies[(t, y, row.leaf_code)] += row.contribution()  # type: ignore[index]
        return dict(tallies)

    # --- cells ---------------------------------------------------------------------------
    async def series(self, keys: Iterable[SeriesKey]) -> dict[CellKey, Cell]:
        wanted = set(keys)
        return {k: c for k, c in self.cells.items() if k.series in wanted}

    async def cells_of_areas(self, codes: Iterable[str]) -> list[Cell]:
        wanted = set(codes)
        return [c for k, c in self.cells.items() if k.area_code in wanted]

    async def children_tallies(
        self, codes: Iterable[str]
    ) -> dict[tuple[Title, int, Hierarchy, str], Tally]:
        wanted = set(codes)
        sums: dict[tuple[Title, int, Hierarchy, str], Tally] = defaultdict(Tally)
        for key, cell in self.cells.items():
            if cell.parent_code in wanted:
                sums[(key.title, key.year, key.hierarchy, cell.parent_code)] += cell.tally  # type: ignore[index]
        return dict(sums)

    async def province_cells(self, combos: Iterable[tuple[Title, int, Hierarchy]]) -> list[Cell]:
        wanted = set(combos)
        return [
            c
            for k, c in self.cells.items()
            if k.level == Level.PROVINCE and (k.title, k.year, k.hierarchy) in wanted
        ]

    async def save_cells(self, cells: Sequence[Cell]) -> None:
        for cell in cells:
            self.cells[cell.key] = cell


class FakeMetricsUnitOfWork(FakeUnitOfWork):
    """One store shared by every unit of work; an uncommitted unit of work leaves it as it was."""

    def __init__(self, store: MemoryMetricsStore | None = None) -> None:
        super().__init__()
        self.store = store or MemoryMetricsStore()
        self._saved: MemoryMetricsStore | None = None

    async def __aenter__(self) -> FakeMetricsUnitOfWork:
        await super().__aenter__()
        self._saved = copy.deepcopy(self.store)
        return self

    def rollback(self) -> None:
        if self._saved is not None:
            self.store.__dict__.update(self._saved.__dict__)
