"""Registry tables (SQLModel) and the repositories that read and write them in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables
from shared.events.inbound import FamilyEvidence
from shared.events.vocabulary import Level
from shared.unit_of_work import SqlUnitOfWork

from ..domain.model import AdministrativeUnit, EvidenceRecord, Household


class RegistryTable(SQLModel, registry=orm_registry()):
    """Base of the registry's tables (their own metadata: the registry owns its schema)."""


class AdministrativeUnitRow(RegistryTable, table=True):
    __tablename__ = "administrative_unit"

    code: str = Field(primary_key=True)
    level: str
    name: str
    parent_code: str | None = Field(default=None, index=True)
    province_code: str
    commune_code: str | None = None
    valid_from: date
    valid_to: date | None = None
    version: int
    updated_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


class HouseholdRow(RegistryTable, table=True):
    __tablename__ = "household"

    household_id: str = Field(primary_key=True)
    hamlet_code: str = Field(index=True)
    commune_code: str
    province_code: str
    registered_on: date
    removed_on: date | None = None
    version: int
    updated_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


class FamilyEvidenceRow(RegistryTable, table=True):
    __tablename__ = "family_evidence"

    household_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    evidence: dict[str, Any] = Field(sa_type=postgresql.JSONB)
    version: int
    updated_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


METADATA = RegistryTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
UNITS: sa.Table = AdministrativeUnitRow.__table__  # type: ignore[attr-defined]
HOUSEHOLDS: sa.Table = HouseholdRow.__table__  # type: ignore[attr-defined]
EVIDENCE: sa.Table = FamilyEvidenceRow.__table__  # type: ignore[attr-defined]


async def _upsert(connection: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = postgresql.insert(table)
    keys = [c.name for c in table.primary_key.columns]
    updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    updates["updated_at"] = sa.func.now()
    await connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)


class SqlUnitRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get_many(self, codes: Iterable[str]) -> dict[str, AdministrativeUnit]:
        codes = list(codes)
        if not codes:
            return {}
        rows = await self.connection.execute(sa.select(UNITS).where(UNITS.c.code.in_(codes)))
        return {
            row.code: AdministrativeUnit(
                code=row.code,
                level=Level(row.level),
                name=row.name,
                parent_code=row.parent_code,
                province_code=row.province_code,
                commune_code=row.commune_code,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                version=row.version,
            )
            for row in rows
        }

    async def save_many(self, units: Sequence[AdministrativeUnit]) -> None:
        await _upsert(
            self.connection,
            UNITS,
            [
                {
                    "code": u.code,
                    "level": u.level.value,
                    "name": u.name,
                    "parent_code": u.parent_code,
                    "province_code": u.province_code,
                    "commune_code": u.commune_code,
                    "valid_from": u.valid_from,
                    "valid_to": u.valid_to,
                    "version": u.version,
                }
                for u in units
            ],
        )


class SqlHouseholdRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get_many(self, household_ids: Iterable[str]) -> dict[str, Household]:
        ids = list(household_ids)
        if not ids:
            return {}
        rows = await self.connection.execute(sa.select(HOUSEHOLDS).where(HOUSEHOLDS.c.household_id.in_(ids)))
        return {
            row.household_id: Household(
                household_id=row.household_id,
                hamlet_code=row.hamlet_code,
                commune_code=row.commune_code,
                province_code=row.province_code,
                registered_on=row.registered_on,
                removed_on=row.removed_on,
                version=row.version,
            )
            for row in rows
        }

    async def save_many(self, households: Sequence[Household]) -> None:
        await _upsert(
            self.connection,
            HOUSEHOLDS,
            [
                {
                    "household_id": h.household_id,
                    "hamlet_code": h.hamlet_code,
                    "commune_code": h.commune_code,
                    "province_code": h.province_code,
                    "registered_on": h.registered_on,
                    "removed_on": h.removed_on,
                    "version": h.version,
                }
                for h in households
            ],
        )


class SqlEvidenceRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get_many(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], EvidenceRecord]:
        keys = list(keys)
        if not keys:
            return {}
        rows = await self.connection.execute(
            sa.select(EVIDENCE).where(sa.tuple_(EVIDENCE.c.household_id, EVIDENCE.c.year).in_(keys))
        )
        return {
            (row.household_id, row.year): EvidenceRecord(
                household_id=row.household_id,
                year=row.year,
                evidence=FamilyEvidence.model_validate(row.evidence),
                version=row.version,
            )
            for row in rows
        }

    async def save_many(self, records: Sequence[EvidenceRecord]) -> None:
        await _upsert(
            self.connection,
            EVIDENCE,
            [
                {
                    "household_id": r.household_id,
                    "year": r.year,
                    "evidence": r.evidence.model_dump(mode="json"),
                    "version": r.version,
                }
                for r in records
            ],
        )


class RegistrySqlUnitOfWork(SqlUnitOfWork):
    def _bind(self, connection: AsyncConnection) -> None:
        self.units = SqlUnitRepository(connection)
        self.households = SqlHouseholdRepository(connection)
        self.evidence = SqlEvidenceRepository(connection)
