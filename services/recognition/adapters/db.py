"""Recognition tables (SQLModel, on recognition's own metadata) and its unit of work.

Projections of the registry (citizen, household with its hamlet periods, unit, clan, area) keep
the highest snapshot version; evidence is one row per title, entity and year; decisions one row
per series (title, entity, year, rule set id, rule version), never overwritten by another series.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables
from shared.unit_of_work import SqlUnitOfWork


class RecognitionTable(SQLModel, registry=orm_registry()):
    """Base of recognition's tables (their own metadata: recognition owns its schema)."""


class CitizenRow(RecognitionTable, table=True):
    __tablename__ = "citizen"

    citizen_id: str = Field(primary_key=True)
    birth_year: int
    household_id: str | None = Field(default=None, index=True)
    unit_ids: list[str] = Field(sa_type=postgresql.ARRAY(sa.Text))
    removed_on: date | None = None
    version: int


class HouseholdRow(RecognitionTable, table=True):
    __tablename__ = "household"

    household_id: str = Field(primary_key=True)
    hamlet_code: str
    commune_code: str
    province_code: str
    registered_on: date
    removed_on: date | None = None
    clan_id: str | None = Field(default=None, index=True)
    version: int


class HouseholdHamletRow(RecognitionTable, table=True):
    """Where each household lived, one row per period (the registry's hamlet history)."""

    __tablename__ = "household_hamlet"

    household_id: str = Field(primary_key=True)
    valid_from: date = Field(primary_key=True)
    hamlet_code: str = Field(primary_key=True, index=True)
    valid_to: date | None = None


class UnitRow(RecognitionTable, table=True):
    __tablename__ = "unit"

    unit_id: str = Field(primary_key=True)
    commune_code: str
    province_code: str
    member_count: int
    version: int


class ClanRow(RecognitionTable, table=True):
    __tablename__ = "clan"

    clan_id: str = Field(primary_key=True)
    home_commune_code: str
    home_hamlet_code: str | None = None
    province_code: str
    version: int


class AreaRow(RecognitionTable, table=True):
    __tablename__ = "area"

    code: str = Field(primary_key=True)
    level: str
    name: str
    parent_code: str | None = None
    province_code: str
    version: int


class EvidenceRow(RecognitionTable, table=True):
    __tablename__ = "evidence"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    facts: dict[str, Any] = Field(sa_type=postgresql.JSONB)
    version: int


class DecisionRow(RecognitionTable, table=True):
    __tablename__ = "decision"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    rule_set_id: str = Field(primary_key=True)
    rule_version: str = Field(primary_key=True)
    granted: bool
    assessable: bool
    total_points: float
    revision: int
    rule_effective_from: date
    body: dict[str, Any] = Field(sa_type=postgresql.JSON)
    """The decision's JSON as published (`json`, not `jsonb`: see migration 0005)."""
    digest: bytes | None = Field(default=None, sa_type=postgresql.BYTEA)
    """`domain.decisions.content_digest` of the body (None for decisions stored before 0005)."""
    decided_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


class RuleSetSeenRow(RecognitionTable, table=True):
    """Each rule-set version decisions were made under, with a fingerprint of its content."""

    __tablename__ = "rule_set_seen"

    rule_set_id: str = Field(primary_key=True)
    rule_version: str = Field(primary_key=True)
    title: str
    effective_from: date
    fingerprint: str
    first_seen_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


METADATA = RecognitionTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
CITIZENS: sa.Table = CitizenRow.__table__  # type: ignore[attr-defined]
HOUSEHOLDS: sa.Table = HouseholdRow.__table__  # type: ignore[attr-defined]
HOUSEHOLD_HAMLETS: sa.Table = HouseholdHamletRow.__table__  # type: ignore[attr-defined]
UNITS: sa.Table = UnitRow.__table__  # type: ignore[attr-defined]
CLANS: sa.Table = ClanRow.__table__  # type: ignore[attr-defined]
AREAS: sa.Table = AreaRow.__table__  # type: ignore[attr-defined]
EVIDENCE: sa.Table = EvidenceRow.__table__  # type: ignore[attr-defined]
DECISIONS: sa.Table = DecisionRow.__table__  # type: ignore[attr-defined]
RULE_SETS_SEEN: sa.Table = RuleSetSeenRow.__table__  # type: ignore[attr-defined]


class RecognitionSqlUnitOfWork(SqlUnitOfWork):
    """One transaction: projections, evidence, decisions, processed events and the outbox."""

    def __init__(self, *args: Any, lock_namespace: str = "recognition", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock_namespace = lock_namespace

    def _bind(self, connection: AsyncConnection) -> None:
        from .store import SqlRecognitionStore

        self.store = SqlRecognitionStore(connection, self.lock_namespace)
