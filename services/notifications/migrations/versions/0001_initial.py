"""Notifications: latest indicators, the alert outbox, outbox and inbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migration_ops import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_plumbing_tables()
    op.create_table(
        "indicator",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("level", sa.Text, primary_key=True),
        sa.Column("area_code", sa.Text, primary_key=True),
        sa.Column("area_name", sa.Text),
        sa.Column("parent_code", sa.Text),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("registered", sa.Integer, nullable=False),
        sa.Column("recognised", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated", sa.Text),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("alert_key", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("area_code", sa.Text, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("agency_id", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("recipients", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index("alert_due", "alert", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("alert")
    op.drop_table("indicator")
    drop_plumbing_tables()
