"""Indicator cells: counts for one title, year and area, and how they roll up the hierarchy.

A cell is recounted from the base facts it depends on (who lives where, which decision each has)
instead of being incremented, so redelivered or reordered events cannot drift it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from shared.events.vocabulary import Level, Title

CellKey = tuple[Title, int, Level, str]  # title, year, level, area code


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    registered: int = 0
    recognised: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.total + other.total,
            self.registered + other.registered,
            self.recognised + other.recognised,
        )


@dataclass(frozen=True, slots=True)
class Cell:
    title: Title
    year: int
    level: Level
    area_code: str
    commune_code: str | None
    province_code: str
    counts: Counts
    revision: int = 0

    @property
    def key(self) -> CellKey:
        return (self.title, self.year, self.level, self.area_code)

    @property
    def parent_code(self) -> str | None:
        if self.level == Level.HAMLET:
            return self.commune_code
        if self.level == Level.COMMUNE:
            return self.province_code
        return None


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
    """The cell to store and publish, or None when its counts and place did not change."""
    if previous is None:
        if candidate.counts == Counts():
            return None
        return replace(candidate, revision=1)
    if replace(previous, revision=0) == replace(candidate, revision=0):
        return None
    return replace(candidate, revision=previous.revision + 1)


def membership_years(registered_on: date, removed_on: date | None) -> tuple[int, int | None]:
    """A household counts in year Y when it was registered by and not removed before 31 December Y.

    Returns (first year counted, first year no longer counted or None).

    >>> membership_years(date(2024, 3, 1), date(2025, 6, 1))
    (2024, 2025)
    """
    return registered_on.year, removed_on.year if removed_on else None
