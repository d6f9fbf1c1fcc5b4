"""What every cell should show, computed whole from leaf recounts and the map (no increments).

`reconcile` compares this with the cells kept incrementally; `rebuild` writes it. It follows the
same rules as the incremental path (leaf cells at the title's leaf level, parents from the map,
the country only while several provinces are loaded), but adds everything up from scratch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from shared.events.vocabulary import Level

from .cells import Cell, CellKey, SeriesKey, Tally
from .hierarchy import (
    LEAF_LEVEL,
    LEVEL_DEPTH,
    AreaRecord,
    hierarchies_for,
    leaf_cell_code,
    parent_in,
)
from .indicators import derive_series
from .rules import MetricsRules

LeafYear = tuple[object, int, str]


def _sums(
    leaf_tallies: Mapping[LeafYear, Tally], areas: Mapping[str, AreaRecord], rules: MetricsRules
) -> dict[CellKey, Tally]:
    sums: dict[CellKey, Tally] = defaultdict(Tally)
    for (title, year, leaf), tally in leaf_tallies.items():
        for hierarchy in hierarchies_for(year, rules.reform_date):
            key = CellKey(
                title, year, hierarchy, LEAF_LEVEL[title], leaf_cell_code(hierarchy, leaf, areas)
            )  # type: ignore[arg-type]
            seen = set()
            while key.area_code not in seen:
                seen.add(key.area_code)
                sums[key] += tally
                parent = parent_in(hierarchy, key.area_code, year, areas)
                area = areas.get(parent) if parent else None
                if area is None or LEVEL_DEPTH[area.level] >= LEVEL_DEPTH[key.level]:
                    break
                key = CellKey(key.title, year, hierarchy, area.level, parent)  # type: ignore[arg-type]
    provinces: dict[tuple[object, ...], list[Tally]] = defaultdict(list)
    for key, tally in sums.items():
        if key.level == Level.PROVINCE and tally.counts.total > 0:
            provinces[(key.title, key.year, key.hierarchy)].append(tally)
    for (title, year, hierarchy), tallies in provinces.items():
        if len(tallies) >= 2:
            sums[CellKey(title, year, hierarchy, Level.COUNTRY, rules.country_code)] = sum(
                tallies, Tally()
            )  # type: ignore[arg-type]
    return sums


@dataclass(frozen=True, slots=True)
class _Place:
    parent_code: str | None
    area_name: str | None


def _place(
    key: CellKey, areas: Mapping[str, AreaRecord], rules: MetricsRules, stored: Cell | None
) -> _Place:
    if key.level == Level.COUNTRY:
        return _Place(None, rules.country_name)
    area = areas.get(key.area_code)
    if area is None:
        return _Place(stored.parent_code if stored else None, stored.area_name if stored else None)
    return _Place(parent_in(key.hierarchy, key.area_code, key.year, areas), area.name)


def expected_cells(
    leaf_tallies: Mapping[LeafYear, Tally],
    areas: Mapping[str, AreaRecord],
    rules: MetricsRules,
    stored: Mapping[CellKey, Cell],
) -> dict[CellKey, Cell]:
    """Every cell (kept or due) as it should be; a kept cell with nothing left to count becomes empty."""
    sums = _sums(leaf_tallies, areas, rules)
    series: dict[SeriesKey, set[int]] = defaultdict(set)
    for key in set(sums) | set(stored):
        series[key.series].add(key.year)
    cells: dict[CellKey, Cell] = {}
    for serie, years in series.items():
        tallies = {year: sums.get(serie.at(year), Tally()) for year in years}
        figures = derive_series(
            {y: t.counts for y, t in tallies.items()}, rules.policy(serie.title)
        )
        for year in years:
            key = serie.at(year)
            place = _place(key, areas, rules, stored.get(key))
            cells[key] = Cell(key, place.parent_code, place.area_name, tallies[year], figures[year])
    return cells


def differences(stored: Mapping[CellKey, Cell], expected: Mapping[CellKey, Cell]) -> list[str]:
    """Every way the kept cells differ from the expected ones, one line each (empty when equal)."""
    lines: list[str] = []
    for key in sorted(
        expected, key=lambda k: (k.title, k.year, k.hierarchy, LEVEL_DEPTH[k.level], k.area_code)
    ):
        want, have = expected[key], stored.get(key)
        where = (
            f"{key.title.value} {key.year} {key.hierarchy.value} {key.level.value} {key.area_code}"
        )
        if have is None:
            if not want.tally.is_zero:
                lines.append(f"{where}: missing; a recount gives {_describe(want)}")
            continue
        for name, kept, due in _fields(have, want):
            if kept != due:
                lines.append(f"{where}: {name} is {kept!r}, a recount gives {due!r}")
    return lines


def _describe(cell: Cell) -> str:
    counts = cell.counts
    return f"total {counts.total}, registered {counts.registered}, recognised {counts.recognised}, assessed {counts.assessed}"


def _fields(have: Cell, want: Cell) -> list[tuple[str, object, object]]:
    pairs: list[tuple[str, object, object]] = [
        ("parent_code", have.parent_code, want.parent_code),
        ("area_name", have.area_name, want.area_name),
        ("rule_versions", have.tally.versions, want.tally.versions),
    ]
    for name in ("total", "registered", "recognised", "assessed"):
        pairs.append((name, getattr(have.counts, name), getattr(want.counts, name)))
    for name in have.figures.__dataclass_fields__:
        pairs.append((name, getattr(have.figures, name), getattr(want.figures, name)))
    return pairs
