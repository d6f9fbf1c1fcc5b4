"""What the registry's handlers need from the outside world."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from shared.consumer import Inbox, Outbox

from .domain.model import AdministrativeUnit, EvidenceRecord, Household


class UnitRepository(Protocol):
    async def get_many(self, codes: Iterable[str]) -> dict[str, AdministrativeUnit]: ...
    async def save_many(self, units: Sequence[AdministrativeUnit]) -> None: ...


class HouseholdRepository(Protocol):
    async def get_many(self, household_ids: Iterable[str]) -> dict[str, Household]: ...
    async def save_many(self, households: Sequence[Household]) -> None: ...


class EvidenceRepository(Protocol):
    async def get_many(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], EvidenceRecord]: ...
    async def save_many(self, records: Sequence[EvidenceRecord]) -> None: ...


class RegistryUnitOfWork(Protocol):
    inbox: Inbox
    outbox: Outbox
    units: UnitRepository
    households: HouseholdRepository
    evidence: EvidenceRepository

    async def commit(self) -> None: ...
