"""Registry: every entity of the five titles, reform history, registrations, generic evidence,
parked facts, the audit log and background re-publication jobs.

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
    op.add_column("administrative_unit", sa.Column("kind", sa.Text))
    op.add_column("administrative_unit", sa.Column("parent_history", postgresql.JSONB, nullable=False, server_default="[]"))
    op.add_column("administrative_unit", sa.Column("successor_code", sa.Text))
    op.add_column("administrative_unit", sa.Column("last_fact_at", TIMESTAMP))
    op.drop_column("administrative_unit", "commune_code")
    op.create_index("administrative_unit_by_level", "administrative_unit", ["level", "province_code"])

    op.add_column("household", sa.Column("hamlet_history", postgresql.JSONB, nullable=False, server_default="[]"))
    op.add_column("household", sa.Column("clan_id", sa.Text))
    op.add_column("household", sa.Column("head_citizen_id", sa.Text))
    op.add_column("household", sa.Column("last_fact_at", TIMESTAMP))
    op.create_index("household_by_commune", "household", ["commune_code"])
    op.create_index("household_by_clan", "household", ["clan_id"])

    op.create_table(
        "citizen",
        sa.Column("citizen_id", sa.Text, primary_key=True),
        sa.Column("birth_year", sa.Integer, nullable=False),
        sa.Column("household_id", sa.Text, index=True),
        sa.Column("unit_ids", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("national_id_hmac", sa.Text),
        sa.Column("removed_on", sa.Date),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_fact_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "clan",
        sa.Column("clan_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("home_commune_code", sa.Text, nullable=False, index=True),
        sa.Column("home_hamlet_code", sa.Text),
        sa.Column("commune_history", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_fact_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "learning_unit",
        sa.Column("unit_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("commune_code", sa.Text, nullable=False, index=True),
        sa.Column("commune_history", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_fact_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "registration",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("registered", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_fact_at", TIMESTAMP),
    )
    op.create_table(
        "evidence",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("facts", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_fact_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
    )
    op.execute(
        "insert into evidence (title, entity_id, year, facts, version) "
        "select 'learning_family', household_id, year, evidence, version from family_evidence"
    )
    op.execute(
        "insert into registration (title, entity_id, year, registered, version) "
        "select 'learning_family', household_id, year, true, 1 from family_evidence"
    )
    op.drop_table("family_evidence")
    op.create_table(
        "parked_fact",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("entity_key", sa.Text, nullable=False, index=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("fact_time", TIMESTAMP, nullable=False),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column("national_id_hmac", sa.Text),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("waiting_for", sa.Text, nullable=False),
        sa.Column("topic", sa.Text),
        sa.Column("partition", sa.Integer),
        sa.Column("offset", sa.BigInteger),
        sa.Column("record_key", postgresql.BYTEA),
        sa.Column("record_value", postgresql.BYTEA),
        sa.Column("header_names", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("header_values", postgresql.ARRAY(postgresql.BYTEA), nullable=False, server_default="{}"),
        sa.Column("parked_at", TIMESTAMP, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("recorded_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
        sa.Column("fact_time", TIMESTAMP),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("entity_key", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("audit_log_by_entity", "audit_log", ["entity_key", "id"])
    op.create_table(
        "republish_job",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ("republish_job", "audit_log", "parked_fact", "registration", "learning_unit", "clan", "citizen"):
        op.drop_table(table)
    op.create_table(
        "family_evidence",
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("evidence", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False, server_default=sa.func.now()),
    )
    op.execute(
        "insert into family_evidence (household_id, year, evidence, version) "
        "select entity_id, year, facts, version from evidence where title = 'learning_family'"
    )
    op.drop_table("evidence")
    for column in ("last_fact_at", "head_citizen_id", "clan_id", "hamlet_history"):
        op.drop_column("household", column)
    op.add_column("administrative_unit", sa.Column("commune_code", sa.Text))
    for column in ("last_fact_at", "successor_code", "parent_history", "kind"):
        op.drop_column("administrative_unit", column)
