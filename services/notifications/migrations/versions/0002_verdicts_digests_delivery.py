"""Notifications: full indicator figures, verdicts with history, digests and delivery attempts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("indicator", sa.Column("assessed", sa.Integer, nullable=False, server_default="0"))
    op.add_column("indicator", sa.Column("data_status", sa.Text, nullable=False, server_default="ok"))
    op.add_column("indicator", sa.Column("data_status_reason", sa.Text))
    op.add_column("indicator", sa.Column("rule_versions", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"))
    op.add_column("indicator", sa.Column("goal_percent", sa.Float))
    op.add_column("indicator", sa.Column("projected_goal_year_percent", sa.Float))
    op.create_index("indicator_children", "indicator", ["title", "year", "parent_code"])
    op.create_index("indicator_area", "indicator", ["area_code"])

    op.create_table(
        "verdict",
        sa.Column("area_code", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text),
        sa.Column("area_name", sa.Text),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("phase", sa.Text, nullable=False),
        sa.Column("judged_at", TIMESTAMP, nullable=False),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("recognised", sa.Integer, nullable=False, server_default="0"),
        sa.Column("percent", sa.Float),
        sa.Column("previous_percent", sa.Float),
        sa.Column("required_percent", sa.Float),
        sa.Column("projected_percent", sa.Float),
        sa.Column("growth_points", sa.Float),
        sa.Column("shortfall", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reason", sa.Text),
        sa.Column("rule_versions", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("missed_at", TIMESTAMP),
        sa.Column("resolved_at", TIMESTAMP),
        sa.Column("escalated_at", TIMESTAMP),
    )
    op.create_index(
        "verdict_unresolved_misses",
        "verdict",
        ["missed_at"],
        postgresql_where=sa.text("verdict = 'missed' and resolved_at is null and escalated_at is null"),
    )
    op.create_table(
        "verdict_change",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("area_code", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("phase", sa.Text, nullable=False),
        sa.Column("judged_at", TIMESTAMP, nullable=False),
        sa.Column("percent", sa.Float),
        sa.Column("required_percent", sa.Float),
        sa.Column("reason", sa.Text),
    )
    op.create_index("verdict_change_cell", "verdict_change", ["area_code", "title", "year"])

    op.add_column("alert", sa.Column("kind", sa.Text, nullable=False, server_default="area"))
    op.add_column("alert", sa.Column("parent_code", sa.Text))
    op.add_column("alert", sa.Column("digest_key", sa.Text))
    op.add_column("alert", sa.Column("refers_to", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"))
    op.add_column("alert", sa.Column("failure", sa.Text))
    op.create_index(
        "alert_undigested",
        "alert",
        ["parent_code", "title", "year", "verdict"],
        postgresql_where=sa.text("kind = 'area' and digest_key is null and parent_code is not null"),
    )
    op.create_index("alert_digests", "alert", ["area_code", "title", "year", "verdict"], postgresql_where=sa.text("kind = 'digest'"))
    op.create_table(
        "delivery_attempt",
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("delivery_attempt")
    op.drop_index("alert_digests", "alert")
    op.drop_index("alert_undigested", "alert")
    for column in ("failure", "refers_to", "digest_key", "parent_code", "kind"):
        op.drop_column("alert", column)
    op.drop_table("verdict_change")
    op.drop_table("verdict")
    op.drop_index("indicator_area", "indicator")
    op.drop_index("indicator_children", "indicator")
    for column in ("projected_goal_year_percent", "goal_percent", "rule_versions", "data_status_reason", "data_status", "assessed"):
        op.drop_column("indicator", column)
