"""Recognition for all five titles: registry projections, evidence of every title, decision series.

- household, household_hamlet, citizen, unit, clan, area: what the cascade counts.
- evidence replaces family_evidence (rows move over as learning_family).
- decision gains assessable and rule_effective_from, and its key becomes the series
  (title, entity, year, rule set id, rule version), so a new rule version adds rows beside the old.
- rule_set_seen: each rule-set version decisions were made under, with its fingerprint.

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


def upgrade() -> None:
    op.create_table(
        "citizen",
        sa.Column("citizen_id", sa.Text, primary_key=True),
        sa.Column("birth_year", sa.Integer, nullable=False),
        sa.Column("household_id", sa.Text),
        sa.Column("unit_ids", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("removed_on", sa.Date),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("citizen_household", "citizen", ["household_id"])
    op.create_index("citizen_units", "citizen", ["unit_ids"], postgresql_using="gin")
    op.create_table(
        "household",
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("hamlet_code", sa.Text, nullable=False),
        sa.Column("commune_code", sa.Text, nullable=False),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("registered_on", sa.Date, nullable=False),
        sa.Column("removed_on", sa.Date),
        sa.Column("clan_id", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("household_clan", "household", ["clan_id"])
    op.create_table(
        "household_hamlet",
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("hamlet_code", sa.Text, primary_key=True),
        sa.Column("valid_to", sa.Date),
    )
    op.create_index("household_hamlet_code", "household_hamlet", ["hamlet_code"])
    op.create_table(
        "unit",
        sa.Column("unit_id", sa.Text, primary_key=True),
        sa.Column("commune_code", sa.Text, nullable=False),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "clan",
        sa.Column("clan_id", sa.Text, primary_key=True),
        sa.Column("home_commune_code", sa.Text, nullable=False),
        sa.Column("home_hamlet_code", sa.Text),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
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
        "evidence",
        sa.Column("title", sa.Text, primary_key=True),
        sa.Column("entity_id", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("facts", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("evidence_year", "evidence", ["title", "year"])
    op.execute(
        "insert into evidence (title, entity_id, year, facts, version) "
        "select 'learning_family', household_id, year, evidence, version from family_evidence"
    )
    op.drop_table("family_evidence")

    op.add_column(
        "decision", sa.Column("assessable", sa.Boolean, nullable=False, server_default=sa.true())
    )
    op.add_column("decision", sa.Column("rule_effective_from", sa.Date))
    op.execute(
        "update decision set rule_effective_from = cast(body ->> 'rule_effective_from' as date)"
    )
    op.alter_column("decision", "rule_effective_from", nullable=False)
    op.alter_column("decision", "assessable", server_default=None)
    op.drop_constraint("decision_pkey", "decision", type_="primary")
    op.create_primary_key(
        "decision_pkey", "decision", ["title", "entity_id", "year", "rule_set_id", "rule_version"]
    )
    op.create_index("decision_series", "decision", ["title", "year", "rule_set_id", "rule_version"])

    op.create_table(
        "rule_set_seen",
        sa.Column("rule_set_id", sa.Text, primary_key=True),
        sa.Column("rule_version", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )


def downgrade() -> None:
    op.drop_table("rule_set_seen")
    op.drop_index("decision_series", "decision")
    # Keep only the latest series of each (title, entity, year) so the old key fits again.
    op.execute(
        "delete from decision d using decision newer where d.title = newer.title and d.entity_id = newer.entity_id "
        "and d.year = newer.year and d.rule_effective_from < newer.rule_effective_from"
    )
    op.drop_constraint("decision_pkey", "decision", type_="primary")
    op.create_primary_key("decision_pkey", "decision", ["title", "entity_id", "year"])
    op.drop_column("decision", "rule_effective_from")
    op.drop_column("decision", "assessable")
    op.create_table(
        "family_evidence",
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("evidence", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.execute(
        "insert into family_evidence (household_id, year, evidence, version) "
        "select entity_id, year, facts, version from evidence where title = 'learning_family'"
    )
    for table in ("evidence", "area", "clan", "unit", "household_hamlet", "household", "citizen"):
        op.drop_table(table)
