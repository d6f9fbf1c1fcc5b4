"""What the metrics handlers need from storage (the SQL store and the unit-test fake implement it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from shared.events.vocabulary import Title

from .domain.cells import Cell, CellKey, Hierarchy, SeriesKey, Tally
from .domain.facts import DecisionFact, FactRow
from .domain.hierarchy import AreaRecord
from .domain.placement import CitizenRecord, HomedRecord, HouseholdRecord, Span

FactKey = tuple[str, int]  # entity id, year
LeafYear = tuple[Title, int, str]  # title, year, leaf code


class MetricsStore(Protocol):
    # --- administrative units ------------------------------------------------------------
    async def lock_areas(self) -> None:
        """Serialise area handling (the crosswalk is computed from several rows at once)."""

    async def save_areas(self, areas: Sequence[AreaRecord]) -> list[AreaRecord]:
        """Keep the highest version of each area; returns those written."""

    async def areas(self, codes: Iterable[str]) -> dict[str, AreaRecord]: ...

    async def areas_pointing_to(self, codes: Iterable[str]) -> set[str]:
        """Codes whose successor or current code is one of `codes`."""

    async def areas_under(self, codes: Iterable[str]) -> set[str]:
        """Codes whose parent is one of `codes` (their current parent follows the parent's successor)."""

    async def set_current_codes(self, current: Mapping[str, str]) -> dict[str, str]:
        """Store today's code for each area; returns {code: previous current code} for those that changed."""

    # --- entity snapshots ----------------------------------------------------------------
    async def lock_household_buckets(
        self, household_ids: Iterable[str], *, exclusive: bool
    ) -> None:
        """Exclusive to change households, shared to place citizens by them."""

    async def save_households(self, rows: Sequence[HouseholdRecord]) -> list[HouseholdRecord]: ...

    async def save_citizens(self, rows: Sequence[CitizenRecord]) -> list[CitizenRecord]: ...

    async def citizens(self, citizen_ids: Iterable[str]) -> dict[str, CitizenRecord]: ...

    async def citizens_of(self, household_ids: Iterable[str]) -> list[CitizenRecord]: ...

    async def save_homed(self, title: Title, rows: Sequence[HomedRecord]) -> list[HomedRecord]:
        """Clans and learning units (one commune at a time)."""

    # --- where entities count ------------------------------------------------------------
    async def places(
        self, title: Title, entity_ids: Iterable[str]
    ) -> dict[str, tuple[Span, ...]]: ...

    async def replace_places(
        self, title: Title, places: Mapping[str, tuple[Span, ...]]
    ) -> None: ...

    # --- assessment years ----------------------------------------------------------------
    async def lock_years(self, titles: Iterable[Title], *, exclusive: bool) -> None:
        """Shared by whoever places entities, exclusive while a new year is being opened."""

    async def known_years(self, title: Title) -> set[int]: ...

    async def add_years(self, title: Title, years: Iterable[int]) -> list[int]:
        """Record years; returns those seen for the first time."""

    async def open_year(self, title: Title, year: int) -> None:
        """Create a fact row for every entity that counts in `year` (from the places)."""

    async def refresh_statistics(self) -> None:
        """After a bulk change (a year opened): let the database re-learn the tables' sizes."""

    # --- facts ---------------------------------------------------------------------------
    async def lock_facts(self, title: Title, keys: Iterable[FactKey]) -> dict[FactKey, FactRow]:
        """Lock (creating blank ones where missing) and return the fact rows for `keys`."""

    async def decide(
        self, title: Title, decisions: Mapping[FactKey, DecisionFact]
    ) -> dict[tuple[int, str], Tally]:
        """Apply `facts.with_decision` to each (entity, year) row, creating blank rows where missing;
        returns how the changed rows changed each (year, leaf)'s tally."""

    async def fact_keys_of(self, title: Title, entity_ids: Iterable[str]) -> list[FactKey]: ...

    async def write_facts(self, title: Title, rows: Sequence[FactRow]) -> None: ...

    async def leaf_tallies(self, title: Title, year: int) -> dict[str, Tally]:
        """Every leaf of one title and year, recounted from the fact rows."""

    async def tallies_at_leaves(self, leaves: Iterable[str]) -> dict[LeafYear, Tally]:
        """The fact rows at the given leaves, recounted per title and year."""

    # --- cells ---------------------------------------------------------------------------
    async def lock_cells(self, titles: Iterable[Title]) -> None:
        """Serialise cell updates of the same titles across transactions and replicas."""

    async def series(self, keys: Iterable[SeriesKey]) -> dict[CellKey, Cell]: ...

    async def cells_of_areas(self, codes: Iterable[str]) -> list[Cell]: ...

    async def children_tallies(
        self, codes: Iterable[str]
    ) -> dict[tuple[Title, int, Hierarchy, str], Tally]:
        """Per (title, year, hierarchy, parent code): the sum of the cells naming it as parent."""

    async def province_cells(
        self, combos: Iterable[tuple[Title, int, Hierarchy]]
    ) -> list[Cell]: ...

    async def save_cells(self, cells: Sequence[Cell]) -> None: ...


class MetricsUnitOfWork(Protocol):
    store: MetricsStore
    inbox: Any
    outbox: Any

    async def commit(self) -> None: ...
