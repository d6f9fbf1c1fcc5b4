"""The administrative map as the registry describes it, read two ways.

`recorded`: an area's parents as of 31 December of the year (districts included before the
reform). `current`: today's units, found by following `successor_code` links (the crosswalk a
merger writes) and today's parents. Hamlets keep their codes through the reform and move under the
merged commune, so a hamlet-level series is exact across it; an old commune maps to the one unit
its `successor_code` names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from shared.events.vocabulary import Level, Title

from .cells import Hierarchy

MAX_DEPTH = 8  # deeper chains (or cycles) mean bad data: stop rather than loop

LEVEL_DEPTH = {
    Level.COUNTRY: 0,
    Level.PROVINCE: 1,
    Level.DISTRICT: 2,
    Level.COMMUNE: 3,
    Level.HAMLET: 4,
}
LEAF_LEVEL = {
    Title.LEARNING_FAMILY: Level.HAMLET,
    Title.LEARNING_CITIZEN: Level.HAMLET,
    Title.LEARNING_CLAN: Level.COMMUNE,
    Title.LEARNING_COMMUNITY: Level.COMMUNE,
    Title.LEARNING_UNIT: Level.COMMUNE,
}


@dataclass(frozen=True, slots=True)
class ParentPeriod:
    code: str
    valid_from: date
    valid_to: date | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class AreaRecord:
    code: str
    level: Level
    name: str
    parent_code: str | None
    province_code: str
    valid_from: date
    valid_to: date | None = None
    successor_code: str | None = None
    parent_history: tuple[ParentPeriod, ...] = ()
    version: int = 1
    current_code: str | None = None  # stored by the area handler: where follow_successors led

    def exists_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def year_end(year: int) -> date:
    return date(year, 12, 31)


def hierarchies_for(year: int, reform_date: date) -> tuple[Hierarchy, ...]:
    """Both maps for years that ended before the reform; from then on they coincide.

    >>> hierarchies_for(2024, date(2025, 7, 1))
    (<Hierarchy.RECORDED: 'recorded'>, <Hierarchy.CURRENT: 'current'>)
    >>> hierarchies_for(2025, date(2025, 7, 1))
    (<Hierarchy.CURRENT: 'current'>,)
    """
    if year_end(year) < reform_date:
        return (Hierarchy.RECORDED, Hierarchy.CURRENT)
    return (Hierarchy.CURRENT,)


def stored_hierarchy(hierarchy: Hierarchy, year: int, reform_date: date) -> Hierarchy:
    """Where a (hierarchy, year) is kept: after the reform `recorded` reads the `current` cells."""
    return hierarchy if hierarchy in hierarchies_for(year, reform_date) else Hierarchy.CURRENT


def in_force(periods: tuple[ParentPeriod, ...], day: date) -> str | None:
    """The code in force on `day`; before the first period the first, in a gap the one before it."""
    if not periods:
        return None
    ordered = sorted(periods, key=lambda p: p.valid_from)
    chosen = ordered[0]
    for period in ordered:
        if period.valid_from <= day:
            chosen = period
        if period.covers(day):
            return period.code
    return chosen.code


def parent_on(area: AreaRecord, day: date) -> str | None:
    if area.parent_history:
        return in_force(area.parent_history, day)
    return area.parent_code


def follow_successors(code: str, areas: Mapping[str, AreaRecord]) -> str:
    """The unit that carries `code` today: follow successors; an unknown area stands for itself."""
    seen = {code}
    for _ in range(MAX_DEPTH):
        area = areas.get(code)
        if area is None or area.successor_code is None or area.successor_code in seen:
            return code
        code = area.successor_code
        seen.add(code)
    return code


def current_code(code: str, areas: Mapping[str, AreaRecord]) -> str:
    """Today's unit for `code` as last stored (every reader uses the same stored crosswalk)."""
    area = areas.get(code)
    return (area.current_code or code) if area is not None else code


def parent_in(
    hierarchy: Hierarchy, code: str, year: int, areas: Mapping[str, AreaRecord]
) -> str | None:
    """The parent of an area in one hierarchy (None at the top or when the area is unknown)."""
    area = areas.get(code)
    if area is None:
        return None
    if hierarchy == Hierarchy.RECORDED:
        return parent_on(area, year_end(year))
    return current_code(area.parent_code, areas) if area.parent_code else None


def leaf_cell_code(hierarchy: Hierarchy, leaf_code: str, areas: Mapping[str, AreaRecord]) -> str:
    return leaf_code if hierarchy == Hierarchy.RECORDED else current_code(leaf_code, areas)


def level_of(code: str, areas: Mapping[str, AreaRecord], default: Level) -> Level:
    area = areas.get(code)
    return area.level if area is not None else default


def chain(
    hierarchy: Hierarchy, leaf_code: str, year: int, areas: Mapping[str, AreaRecord]
) -> list[str]:
    """The cell codes an entity at `leaf_code` counts in, leaf first, up to the top known area."""
    codes = [leaf_cell_code(hierarchy, leaf_code, areas)]
    while len(codes) < MAX_DEPTH:
        parent = parent_in(hierarchy, codes[-1], year, areas)
        if parent is None or parent in codes:
            break
        codes.append(parent)
    return codes


def codes_to_load(codes: set[str], areas: Mapping[str, AreaRecord]) -> set[str]:
    """Codes referenced by the loaded areas (parents, past parents, successors) not loaded yet."""
    wanted: set[str] = set()
    for code in codes:
        area = areas.get(code)
        if area is None:
            continue
        wanted.update(c for c in (area.parent_code, area.successor_code) if c)
        wanted.update(p.code for p in area.parent_history)
    return wanted - set(areas)
