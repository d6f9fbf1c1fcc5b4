"""Settling a batch's changes into cells: leaves first, then every parent up to the country.

Leaf cells change by the exact difference their fact rows made (each row was changed under its
row lock, so the difference is exact); a parent changes by the differences of its children; a cell
whose parent changed leaves its old parent and joins the new one whole. All of it runs under the
titles' cell locks, so no two transactions settle the same cells at once. Then each touched
series is re-derived (change, target and projection read neighbouring years) and only cells whose
shown figures changed get a new revision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from shared.events.vocabulary import Level

from ..domain.cells import Cell, CellKey, SeriesKey, Tally, revise
from ..domain.hierarchy import LEAF_LEVEL, LEVEL_DEPTH, AreaRecord, codes_to_load, parent_in
from ..domain.indicators import derive_series
from ..domain.rules import MetricsRules
from ..ports import MetricsStore

ZERO = Tally()


async def load_areas(
    store: MetricsStore, codes: Iterable[str], areas: dict[str, AreaRecord], missing: set[str]
) -> None:
    """Load areas and everything they point to (parents, past parents, successors) into `areas`."""
    wanted = set(codes) - set(areas) - missing
    for _ in range(10):
        if not wanted:
            return
        found = await store.areas(wanted)
        areas.update(found)
        missing |= wanted - set(found)
        wanted = codes_to_load(set(found), areas) - missing


class CellBook:
    def __init__(self, store: MetricsStore, rules: MetricsRules) -> None:
        self.store = store
        self.rules = rules
        self.areas: dict[str, AreaRecord] = {}
        self.stored: dict[CellKey, Cell] = {}
        self.years: dict[SeriesKey, set[int]] = defaultdict(set)
        self.start: dict[CellKey, Tally] = {}
        self.delta: dict[CellKey, Tally] = {}
        self.parent: dict[CellKey, str | None] = {}
        self.restructured: set[str] = set()
        self._missing_areas: set[str] = set()

    async def load_areas(self, codes: Iterable[str]) -> None:
        await load_areas(self.store, codes, self.areas, self._missing_areas)

    async def _load_series(self, keys: Iterable[SeriesKey]) -> None:
        wanted = {k for k in keys if k not in self.years}
        if not wanted:
            return
        for key in wanted:
            self.years[key]
        for key, cell in (await self.store.series(wanted)).items():
            self.stored[key] = cell
            self.years[key.series].add(key.year)

    def _touch(self, key: CellKey, start: Tally | None = None) -> None:
        if key not in self.start:
            stored = self.stored.get(key)
            self.start[key] = stored.tally if stored else ZERO
            self.delta[key] = ZERO
        if start is not None:
            self.start[key] = start

    def tally(self, key: CellKey) -> Tally:
        if key in self.start:
            return self.start[key] + self.delta[key]
        stored = self.stored.get(key)
        return stored.tally if stored else ZERO

    async def settle(
        self,
        deltas: dict[CellKey, Tally],
        absolutes: dict[CellKey, Tally],
        restructure: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> list[Cell]:
        """Apply leaf changes, carry them up, re-derive, save; returns the cells that changed."""
        self.restructured = set(restructure)
        keys = set(deltas) | set(absolutes)
        if restructure:
            keys |= {cell.key for cell in await self.store.cells_of_areas(restructure)}
            for (title, year, hierarchy, code), tally in (
                await self.store.children_tallies(restructure)
            ).items():
                await self.load_areas([code])
                area = self.areas.get(code)
                if area is not None and area.level != LEAF_LEVEL[title]:
                    absolutes[CellKey(title, year, hierarchy, area.level, code)] = tally
                    keys.add(CellKey(title, year, hierarchy, area.level, code))
        await self.load_areas({k.area_code for k in keys})
        await self._load_series({k.series for k in keys})
        for key in keys:
            self._touch(key, absolutes.get(key))
            if key in deltas:
                self.delta[key] = self.delta[key] + deltas[key]
        for depth in (
            LEVEL_DEPTH[Level.HAMLET],
            LEVEL_DEPTH[Level.COMMUNE],
            LEVEL_DEPTH[Level.DISTRICT],
        ):
            await self._carry_up(depth)
        await self._carry_up(LEVEL_DEPTH[Level.PROVINCE])
        await self._country()
        return await self._derive_and_save()

    def _parent_of(self, key: CellKey) -> str | None:
        stored = self.stored.get(key)
        if stored is not None and key.area_code not in self.restructured:
            return stored.parent_code
        if key.level == Level.COUNTRY:
            return None
        return parent_in(key.hierarchy, key.area_code, key.year, self.areas)

    def _parent_key(self, child: CellKey, code: str) -> CellKey | None:
        area = self.areas.get(code)
        if area is None or LEVEL_DEPTH[area.level] >= LEVEL_DEPTH[child.level]:
            return None  # unknown yet (it is built from its children when it arrives) or bad data
        return CellKey(child.title, child.year, child.hierarchy, area.level, code)

    async def _carry_up(self, depth: int) -> None:
        changes: dict[tuple[CellKey, str], Tally] = defaultdict(Tally)
        for key in [k for k in self.start if LEVEL_DEPTH[k.level] == depth]:
            stored = self.stored.get(key)
            before, after = (stored.tally if stored else ZERO), self.tally(key)
            old_parent = stored.parent_code if stored else None
            new_parent = self.parent[key] = self._parent_of(key)
            if old_parent == new_parent:
                if new_parent is not None and after != before:
                    changes[(key, new_parent)] += after - before
                continue
            if old_parent is not None:
                changes[(key, old_parent)] += -before
            if new_parent is not None:
                changes[(key, new_parent)] += after
        await self.load_areas({code for _, code in changes})
        per_parent: dict[CellKey, Tally] = defaultdict(Tally)
        for (child, code), change in changes.items():
            parent = self._parent_key(child, code)
            if parent is not None:
                per_parent[parent] += change
        await self._load_series({k.series for k in per_parent})
        for parent, change in per_parent.items():
            self._touch(parent)
            self.delta[parent] = self.delta[parent] + change

    async def _country(self) -> None:
        """The country is the sum of its provinces, kept only while several provinces are loaded."""
        combos = {(k.title, k.year, k.hierarchy) for k in self.start if k.level == Level.PROVINCE}
        if not combos:
            return
        provinces: dict[tuple[object, ...], dict[str, Tally]] = defaultdict(dict)
        for cell in await self.store.province_cells(combos):
            provinces[(cell.key.title, cell.key.year, cell.key.hierarchy)][cell.key.area_code] = (
                cell.tally
            )
        for key in self.start:
            if key.level == Level.PROVINCE:
                provinces[(key.title, key.year, key.hierarchy)][key.area_code] = self.tally(key)
        countries = {}
        for (title, year, hierarchy), tallies in provinces.items():
            loaded = [t for t in tallies.values() if t.counts.total > 0]
            key = CellKey(title, year, hierarchy, Level.COUNTRY, self.rules.country_code)  # type: ignore[arg-type]
            countries[key] = sum(loaded, ZERO) if len(loaded) >= 2 else ZERO
        await self._load_series({k.series for k in countries})
        for key, tally in countries.items():
            if key in self.stored or not tally.is_zero:
                self._touch(key, tally)

    def _name_of(self, key: CellKey) -> str | None:
        if key.level == Level.COUNTRY:
            return self.rules.country_name
        area = self.areas.get(key.area_code)
        if area is not None:
            return area.name
        stored = self.stored.get(key)
        return stored.area_name if stored else None

    async def _derive_and_save(self) -> list[Cell]:
        changed: list[Cell] = []
        touched: dict[SeriesKey, set[int]] = defaultdict(set)
        for key in self.start:
            touched[key.series].add(key.year)
        for series, touched_years in touched.items():
            years = self.years[series] | touched_years
            tallies = {year: self.tally(series.at(year)) for year in years}
            figures = derive_series(
                {y: t.counts for y, t in tallies.items()}, self.rules.policy(series.title)
            )
            for year in years:
                key = series.at(year)
                stored = self.stored.get(key)
                parent = self.parent.get(
                    key, stored.parent_code if stored else self._parent_of(key)
                )
                candidate = Cell(key, parent, self._name_of(key), tallies[year], figures[year])
                revised = revise(stored, candidate)
                if revised is not None:
                    changed.append(revised)
        await self.store.save_cells(changed)
        return changed
