"""Notifications tables (SQLModel): the latest indicator cells, the verdicts and their history,
the notices with their e-mails (the persistent outbox of alerts), and delivery attempts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables


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
    assessed: int = 0
    data_status: str = "ok"
    data_status_reason: str | None = None
    rule_versions: list[str] = Field(default_factory=list, sa_type=postgresql.ARRAY(sa.Text))
    goal_percent: float | None = None
    projected_goal_year_percent: float | None = None
    revision: int
    received_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    evaluated: str | None = Field(default=None, description="phase:revision:last year's revision:programme last judged.")


class VerdictRow(NotificationsTable, table=True):
    __tablename__ = "verdict"

    area_code: str = Field(primary_key=True)
    title: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    level: str
    parent_code: str | None = None
    area_name: str | None = None
    verdict: str
    phase: str
    judged_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    total: int = 0
    recognised: int = 0
    percent: float | None = None
    previous_percent: float | None = None
    required_percent: float | None = None
    projected_percent: float | None = None
    growth_points: float | None = None
    shortfall: int = 0
    reason: str | None = None
    rule_versions: list[str] = Field(default_factory=list, sa_type=postgresql.ARRAY(sa.Text))
    missed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    resolved_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    escalated_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class VerdictChangeRow(NotificationsTable, table=True):
    __tablename__ = "verdict_change"

    id: int | None = Field(default=None, primary_key=True)
    area_code: str
    title: str
    year: int
    verdict: str
    phase: str
    judged_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    percent: float | None = None
    required_percent: float | None = None
    reason: str | None = None


class AlertRow(NotificationsTable, table=True):
    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    alert_key: str = Field(unique=True)
    kind: str = "area"
    title: str
    year: int
    level: str
    area_code: str
    parent_code: str | None = None
    verdict: str
    agency_id: str | None = None
    status: str = Field(description="pending, sent, failed, unrouted or covered")
    digest_key: str | None = Field(default=None, description="The digest that listed this area notice.")
    recipients: list[str] = Field(sa_type=postgresql.ARRAY(sa.Text))
    message_id: str
    refers_to: list[str] = Field(default_factory=list, sa_type=postgresql.ARRAY(sa.Text), description="Message-IDs this e-mail follows up.")
    subject: str
    body_text: str
    body_html: str
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    last_error: str | None = None
    failure: str | None = Field(default=None, description="permanent or gave_up")
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class DeliveryAttemptRow(NotificationsTable, table=True):
    """Written (and committed) just before an SMTP send, deleted with the outcome: a row found
    when claiming means the previous attempt was interrupted."""

    __tablename__ = "delivery_attempt"

    alert_id: int = Field(primary_key=True)
    started_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


METADATA = NotificationsTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
INDICATORS: sa.Table = IndicatorRow.__table__  # type: ignore[attr-defined]
VERDICTS: sa.Table = VerdictRow.__table__  # type: ignore[attr-defined]
VERDICT_CHANGES: sa.Table = VerdictChangeRow.__table__  # type: ignore[attr-defined]
ALERTS: sa.Table = AlertRow.__table__  # type: ignore[attr-defined]
ATTEMPTS: sa.Table = DeliveryAttemptRow.__table__  # type: ignore[attr-defined]
