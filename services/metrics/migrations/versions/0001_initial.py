"""Metrics: areas, members, decisions, assessment years, indicator cells, outbox and inbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from shared.migration_ops import create_plumbing_tables, drop_plumbing_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_plumbing_tables()
    op.create_table(
        "area",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "member",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("hamlet_code", sa.Text, nullable=False),
        sa.Column("commune_code", sa.Text, nullable=False),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("from_year", sa.Integer, nullable=False),
        sa.Column("until_year", sa.Integer),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("member_by_hamlet", "member", ["title", "hamlet_code"])
    op.create_table(
        "decision",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("rule_version", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_table(
        "assessment_year",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
    )
    op.create_table(
        "cell",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("level", sa.Text, primary_key=True),
        sa.Column("area_code", sa.Text, primary_key=True),
        sa.Column("commune_code", sa.Text),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("registered", sa.Integer, nullable=False),
        sa.Column("recognised", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("cell_by_commune", "cell", ["title", "year", "level", "commune_code"])
    op.create_index("cell_by_province", "cell", ["title", "year", "level", "province_code"])


def downgrade() -> None:
    for table in ("cell", "assessment_year", "decision", "member", "area"):
        op.drop_table(table)
    drop_plumbing_tables()
