"""Indicator cells: the figures for one title, year, hierarchy and area, and their arithmetic.

Every cell is the sum of its entities' contributions (an entity counts once in the area where it
was on 31 December of the year). Cells are keyed by hierarchy: `recorded` is the map in force that
year (legacy districts and communes before the 1 July 2025 reform), `current` is today's map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from shared.events.vocabulary import Level, Title


class Hierarchy(StrEnum):
    RECORDED = "recorded"
    CURRENT = "current"


class CellKey(NamedTuple):
    title: Title
    year: int
    hierarchy: Hierarchy
    level: Level
    area_code: str

    @property
    def series(self) -> SeriesKey:
        return SeriesKey(self.title, self.hierarchy, self.level, self.area_code)


class SeriesKey(NamedTuple):
    """One area's cells over the years (what change and projection are computed over)."""

    title: Title
    hierarchy: Hierarchy
    level: Level
    area_code: str

    def at(self, year: int) -> CellKey:
        return CellKey(self.title, year, self.hierarchy, self.level, self.area_code)


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    registered: int = 0
    recognised: int = 0
    assessed: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.total + other.total,
            self.registered + other.registered,
            self.recognised + other.recognised,
            self.assessed + other.assessed,
        )

    def __neg__(self) -> Counts:
        return Counts(-self.total, -self.registered, -self.recognised, -self.assessed)

    def __sub__(self, other: Counts) -> Counts:
        return self + -other


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts plus how many counted decisions each rule version made (the cell's `rule_versions`)."""

    counts: Counts = Counts()
    versions: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, counts: Counts, versions: Mapping[str, int] | None = None) -> Tally:
        return cls(counts, _clean(versions or {}))

    def __add__(self, other: Tally) -> Tally:
        # Fast paths first: nearly every tally has one rule version or none.
        if not other.versions:
            return Tally(self.counts + other.counts, self.versions)
        if not self.versions:
            return Tally(self.counts + other.counts, other.versions)
        if (
            len(self.versions) == 1
            and len(other.versions) == 1
            and self.versions[0][0] == other.versions[0][0]
        ):
            count = self.versions[0][1] + other.versions[0][1]
            return Tally(
                self.counts + other.counts, ((self.versions[0][0], count),) if count else ()
            )
        merged = dict(self.versions)
        for version, count in other.versions:
            merged[version] = merged.get(version, 0) + count
        return Tally(self.counts + other.counts, _clean(merged))

    def __neg__(self) -> Tally:
        return Tally(-self.counts, tuple((v, -c) for v, c in self.versions))

    def __sub__(self, other: Tally) -> Tally:
        return self + -other

    @property
    def is_zero(self) -> bool:
        return self.counts == Counts() and not self.versions

    @property
    def rule_versions(self) -> tuple[str, ...]:
        return tuple(v for v, c in self.versions if c > 0)


class TallySum:
    """A running sum of many tallies or fact contributions (cheaper than adding frozen tallies)."""

    __slots__ = ("assessed", "recognised", "registered", "total", "versions")

    def __init__(self) -> None:
        self.total = self.registered = self.recognised = self.assessed = 0
        self.versions: dict[str, int] = {}

    def add(self, tally: Tally, sign: int = 1) -> None:
        counts = tally.counts
        self.total += sign * counts.total
        self.registered += sign * counts.registered
        self.recognised += sign * counts.recognised
        self.assessed += sign * counts.assessed
        for version, count in tally.versions:
            self.versions[version] = self.versions.get(version, 0) + sign * count

    def tally(self) -> Tally:
        return Tally(
            Counts(self.total, self.registered, self.recognised, self.assessed),
            _clean(self.versions),
        )


def _clean(versions: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((v, c) for v, c in versions.items() if c != 0))


def total_of(tallies: Iterable[Tally]) -> Tally:
    return sum(tallies, Tally())


@dataclass(frozen=True, slots=True)
class Figures:
    """What a cell shows besides its counts; all derived from the counts of its series."""

    ratio_all: float | None = None
    ratio_registered: float | None = None
    data_status: str = "insufficient"
    data_status_reason: str | None = None
    change_points: float | None = None
    goal_percent: float | None = None
    goal_year: int | None = None
    projected_goal_year_percent: float | None = None
    target_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Cell:
    key: CellKey
    parent_code: str | None
    area_name: str | None
    tally: Tally
    figures: Figures = field(default_factory=Figures)
    revision: int = 0

    @property
    def counts(self) -> Counts:
        return self.tally.counts

    def shown(self) -> tuple[object, ...]:
        """Everything a reader sees; a change here is a new revision and a new event."""
        return (
            self.parent_code,
            self.area_name,
            self.tally.counts,
            self.tally.rule_versions,
            self.figures,
        )


def percent(part: int, whole: int) -> float | None:
    """part / whole in percent, rounded to 2 decimals; None when there is nothing to divide by.

    >>> percent(1, 3)
    33.33
    >>> percent(0, 0) is None
    True
    """
    return round(100.0 * part / whole, 2) if whole else None


def roll_up(children: Iterable[Counts]) -> Counts:
    return sum(children, Counts())


def revise(previous: Cell | None, candidate: Cell) -> Cell | None:
    """The cell to store and publish, or None when nothing a reader sees has changed.

    A cell that never existed and would show nothing (no entities, no decisions) is not created.
    """
    if previous is None:
        if candidate.tally.is_zero:
            return None
        return replace(candidate, revision=1)
    if previous.shown() == candidate.shown():
        return None
    return replace(candidate, revision=previous.revision + 1)


def membership_years(registered_on: date, removed_on: date | None) -> tuple[int, int | None]:
    """An entity counts in year Y when it was registered by and not removed before 31 December Y.

    Returns (first year counted, first year no longer counted or None). Removal on any day of a
    year means the entity is gone on 31 December, so that year no longer counts it.

    >>> membership_years(date(2024, 3, 1), date(2025, 6, 1))
    (2024, 2025)
    """
    return registered_on.year, removed_on.year if removed_on else None
