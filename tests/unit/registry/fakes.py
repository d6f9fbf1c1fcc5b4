"""In-memory registry repositories implementing services.registry.ports."""

from collections.abc import Iterable, Sequence

from services.registry.domain.model import AdministrativeUnit, EvidenceRecord, Household
from shared.testing import FakeUnitOfWork


class MemoryRepository:
    def __init__(self, key) -> None:  # type: ignore[no-untyped-def]
        self.key = key
        self.rows: dict = {}  # type: ignore[type-arg]

    async def get_many(self, keys: Iterable) -> dict:  # type: ignore[type-arg]
        return {k: self.rows[k] for k in keys if k in self.rows}

    async def save_many(self, items: Sequence) -> None:  # type: ignore[type-arg]
        for item in items:
            self.rows[self.key(item)] = item


class FakeRegistryUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.units = MemoryRepository(lambda u: u.code)
        self.households = MemoryRepository(lambda h: h.household_id)
        self.evidence = MemoryRepository(lambda e: (e.household_id, e.year))

    async def __aenter__(self) -> "FakeRegistryUnitOfWork":
        self._saved = [dict(r.rows) for r in (self.units, self.households, self.evidence)]
        await super().__aenter__()
        return self

    def rollback(self) -> None:
        for repository, rows in zip((self.units, self.households, self.evidence), self._saved, strict=True):
            repository.rows = rows


def units_of(uow: FakeRegistryUnitOfWork) -> dict[str, AdministrativeUnit]:
    return uow.units.rows


def households_of(uow: FakeRegistryUnitOfWork) -> dict[str, Household]:
    return uow.households.rows


def evidence_of(uow: FakeRegistryUnitOfWork) -> dict[tuple[str, int], EvidenceRecord]:
    return uow.evidence.rows
