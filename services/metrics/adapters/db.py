"""Metrics tables (SQLModel, on the service's own metadata) and the unit of work binding the store.

Base facts: the registry's snapshots (area, household, citizen, homed), where each entity counts
(place), the years seen (assessment_year) and one fact row per title, entity and year with its
registration and decision. Derived: the indicator cells.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables
from shared.unit_of_work import SqlUnitOfWork


class MetricsTable(SQLModel, registry=orm_registry()):
    """Base of the metrics tables (their own metadata: metrics owns its schema)."""


def _json_column() -> Any:
    return Field(
        default_factory=list, sa_column=sa.Column(JSONB, nullable=False, server_default="[]")
    )


class AreaRow(MetricsTable, table=True):
    __tablename__ = "area"

    code: str = Field(primary_key=True)
    level: str
    name: str
    parent_code: str | None = Field(default=None, index=True)
    parent_history: list[dict[str, Any]] = _json_column()
    province_code: str
    valid_from: date
    valid_to: date | None = None
    successor_code: str | None = Field(default=None, index=True)
    current_code: str | None = Field(default=None, index=True)
    version: int


class HouseholdRow(MetricsTable, table=True):
    __tablename__ = "household"

    household_id: str = Field(primary_key=True)
    hamlet_code: str
    hamlet_history: list[dict[str, Any]] = _json_column()
    registered_on: date
    removed_on: date | None = None
    version: int


class CitizenRow(MetricsTable, table=True):
    __tablename__ = "citizen"

    citizen_id: str = Field(primary_key=True)
    household_id: str | None = Field(default=None, index=True)
    birth_year: int
    removed_on: date | None = None
    version: int


class HomedRow(MetricsTable, table=True):
    """Clans and learning units: entities with one commune at a time."""

    __tablename__ = "homed"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    commune_code: str
    commune_history: list[dict[str, Any]] = _json_column()
    registered_on: date
    version: int


class PlaceRow(MetricsTable, table=True):
    """The entity counts at leaf_code from from_year up to (not including) until_year."""

    __tablename__ = "place"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    from_year: int = Field(primary_key=True)
    leaf_code: str
    until_year: int | None = None


class AssessmentYearRow(MetricsTable, table=True):
    __tablename__ = "assessment_year"

    title: str = Field(primary_key=True)
    year: int = Field(primary_key=True)


class FactRowTable(MetricsTable, table=True):
    """One entity, title and year: where it counts (null: not that year), registration, decision."""

    __tablename__ = "fact"
    __table_args__ = (
        sa.Index("fact_by_leaf", "leaf_code", "title", "year"),
        {"postgresql_with": {"fillfactor": 85}},
    )

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    leaf_code: str | None = None
    registered: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    registration_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    decided: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    granted: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    assessable: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    rule_version: str | None = None
    rule_effective_from: date | None = None
    decision_revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CellRow(MetricsTable, table=True):
    __tablename__ = "cell"
    __table_args__ = (sa.Index("cell_for_export", "hierarchy", "level", "year"),)

    title: str = Field(primary_key=True)
    hierarchy: str = Field(primary_key=True)
    level: str = Field(primary_key=True)
    area_code: str = Field(primary_key=True, index=True)
    year: int = Field(primary_key=True)
    parent_code: str | None = Field(default=None, index=True)
    area_name: str | None = None
    total: int
    registered: int
    recognised: int
    assessed: int
    rule_versions: dict[str, int] = Field(
        default_factory=dict, sa_column=sa.Column(JSONB, nullable=False)
    )
    ratio_all: float | None = None
    ratio_registered: float | None = None
    data_status: str
    data_status_reason: str | None = None
    change_points: float | None = None
    goal_percent: float | None = None
    goal_year: int | None = None
    projected_goal_year_percent: float | None = None
    target_percent: float | None = None
    revision: int
    updated_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


METADATA = MetricsTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
AREAS: sa.Table = AreaRow.__table__  # type: ignore[attr-defined]
CELLS: sa.Table = CellRow.__table__  # type: ignore[attr-defined]
FACTS: sa.Table = FactRowTable.__table__  # type: ignore[attr-defined]
PLACES: sa.Table = PlaceRow.__table__  # type: ignore[attr-defined]


class MetricsSqlUnitOfWork(SqlUnitOfWork):
    def _bind(self, connection: AsyncConnection) -> None:
        from .store import SqlMetricsStore

        # Advisory locks are database-wide; the outbox channel names the schema, so two schemas
        # (two test runs, two provinces in one database) never share a lock.
        self.store = SqlMetricsStore(connection, namespace=self.channel)
