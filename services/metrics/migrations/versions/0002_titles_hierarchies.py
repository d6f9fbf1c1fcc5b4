"""Metrics for every title and both hierarchies: snapshots with history, places, fact rows, new cells.

The walking skeleton kept Learning Family members and decisions only; their rows cannot be turned
into the new base facts (no histories, no rule dates), so this revision replaces those tables.
After upgrading, reset the metrics consumer group to the earliest offsets: the registry and
recognition topics keep their whole history, and replaying them refills every base table.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _history(name: str) -> sa.Column:
    return sa.Column(name, JSONB, nullable=False, server_default="[]")


def upgrade() -> None:
    for table in ("cell", "assessment_year", "decision", "member", "area"):
        op.drop_table(table)
    op.create_table(
        "area",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text),
        _history("parent_history"),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("successor_code", sa.Text),
        sa.Column("current_code", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    for column in ("parent_code", "successor_code", "current_code"):
        op.create_index(f"ix_area_{column}", "area", [column])
    op.create_table(
        "household",
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("hamlet_code", sa.Text, nullable=False),
        _history("hamlet_history"),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("removed_on", sa.Date),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "citizen",
        sa.Column("citizen_id", sa.Text, primary_key=True),
        sa.Column("household_id", sa.Text),
        sa.Column("birth_year", sa.Integer, nullable=False),
        sa.Column("removed_on", sa.Date),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_citizen_household_id", "citizen", ["household_id"])
    op.create_table(
        "homed",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("commune_code", sa.Text, nullable=False),
        _history("commune_history"),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "place",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("from_year", sa.Integer, primary_key=True),
        sa.Column("leaf_code", sa.Text, nullable=False),
        sa.Column("until_year", sa.Integer),
    )
    op.create_table(
        "assessment_year",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
    )
    op.create_table(
        "fact",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("leaf_code", sa.Text),
        sa.Column("registered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("registration_version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("decided", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("granted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("assessable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("rule_version", sa.Text),
        sa.Column("rule_effective_from", sa.Date),
        sa.Column("decision_revision", sa.Integer, nullable=False, server_default="0"),
        # Room on each page lets decision updates stay HOT (no index touches the decision columns).
        postgresql_with={"fillfactor": 85},
    )
    op.create_index("fact_by_leaf", "fact", ["leaf_code", "title", "year"])
    op.create_table(
        "cell",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("hierarchy", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, primary_key=True),
        sa.Column("area_code", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("parent_code", sa.Text),
        sa.Column("area_name", sa.Text),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("registered", sa.Integer, nullable=False),
        sa.Column("recognised", sa.Integer, nullable=False),
        sa.Column("assessed", sa.Integer, nullable=False),
        sa.Column("rule_versions", JSONB, nullable=False),
        sa.Column("ratio_all", sa.Float),
        sa.Column("ratio_registered", sa.Float),
        sa.Column("data_status", sa.Text, nullable=False),
        sa.Column("data_status_reason", sa.Text),
        sa.Column("change_points", sa.Float),
        sa.Column("goal_percent", sa.Float),
        sa.Column("goal_year", sa.Integer),
        sa.Column("projected_goal_year_percent", sa.Float),
        sa.Column("target_percent", sa.Float),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_cell_area_code", "cell", ["area_code"])
    op.create_index("ix_cell_parent_code", "cell", ["parent_code"])
    op.create_index("cell_for_export", "cell", ["hierarchy", "level", "year"])


def downgrade() -> None:
    for table in (
        "cell",
        "fact",
        "assessment_year",
        "place",
        "homed",
        "citizen",
        "household",
        "area",
    ):
        op.drop_table(table)
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
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("cell_by_commune", "cell", ["title", "year", "level", "commune_code"])
    op.create_index("cell_by_province", "cell", ["title", "year", "level", "province_code"])
