"""Migration helpers for the tables every service carries (used from services' Alembic versions)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def create_plumbing_tables() -> None:
    """The outbox and processed-event tables, as `shared.db.plumbing_tables` declares them."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", postgresql.BYTEA),
        sa.Column("value", postgresql.BYTEA),
        sa.Column("header_names", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("header_values", postgresql.ARRAY(postgresql.BYTEA), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "processed_event",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("processed_event_processed_at", "processed_event", ["processed_at"])


def drop_plumbing_tables() -> None:
    op.drop_table("processed_event")
    op.drop_table("outbox")


def index_processed_at_by_range() -> None:
    """Turn the processed-event table's `processed_at` index into a BRIN index.

    Rows arrive in `processed_at` order, so a block-range index serves a purge of old marks as
    well as a B-tree, and costs next to nothing per insert; the B-tree cost about 5 µs a claimed
    event, a quarter of the inbox's time.
    """
    op.drop_index("processed_event_processed_at", "processed_event")
    op.create_index(
        "processed_event_processed_at", "processed_event", ["processed_at"], postgresql_using="brin"
    )


def index_processed_at_by_tree() -> None:
    op.drop_index("processed_event_processed_at", "processed_event")
    op.create_index("processed_event_processed_at", "processed_event", ["processed_at"])
