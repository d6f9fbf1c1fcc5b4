"""Notifications tables (SQLModel): the latest indicator per area, and the persistent alert outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables
from shared.unit_of_work import SqlUnitOfWork


class NotificationsTable(SQLModel, registry=orm_registry()):
    """Base of the notifications tables (their own metadata: notifications owns its schema)."""


class IndicatorRow(NotificationsTable, table=True):
    __tablename__ = "indicator"

    title: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    level: str = Field(primary_key=True)
    area_code: str = Field(primary_key=True)
    area_name: str | None = None
    parent_code: str | None = None
    total: int
    registered: int
    recognised: int
    revision: int
    received_at: datetime
    evaluated: str | None = Field(default=None, description="Revisions (this year:last year) last assessed.")


class AlertRow(NotificationsTable, table=True):
    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    alert_key: str = Field(unique=True)
    title: str
    year: int
    level: str
    area_code: str
    verdict: str
    agency_id: str | None = None
    status: str = Field(description="pending, sent, failed or unrouted")
    recipients: list[str] = Field(sa_type=postgresql.ARRAY(sa.Text))
    message_id: str
    subject: str
    body_text: str
    body_html: str
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    created_at: datetime
    sent_at: datetime | None = None


METADATA = NotificationsTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
INDICATORS: sa.Table = IndicatorRow.__table__  # type: ignore[attr-defined]
ALERTS: sa.Table = AlertRow.__table__  # type: ignore[attr-defined]


class SqlIndicatorStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def save_latest(self, rows: list[dict[str, Any]]) -> None:
        """Keep the highest revision of each cell."""
        if not rows:
            return
        statement = postgresql.insert(INDICATORS)
        columns = ("area_name", "parent_code", "total", "registered", "recognised", "revision", "received_at")
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "year", "level", "area_code"],
                set_={c: statement.excluded[c] for c in columns},
                where=INDICATORS.c.revision < statement.excluded.revision,
            ),
            rows,
        )


class NotificationsSqlUnitOfWork(SqlUnitOfWork):
    def _bind(self, connection: AsyncConnection) -> None:
        self.indicators = SqlIndicatorStore(connection)
