"""Drop the (title, year) index on evidence and the (title, year, series) index on decision.

Every lookup on the consumer's path names whole keys (entity and year, and the series), which the
primary keys answer. The secondary indexes answered only the re-evaluation and `simulate`, which
read a whole year of a title and do as well with a scan. They were a trap: when a new assessment
year starts, the statistics say that year holds no rows, so the planner chose them for key
lookups (entity id as a mere filter), and each of a batch's 2,000 keys scanned every row of the
year so far: 0.8-1.1 s per statement at 10,000 households in `bench_recognition`, growing with
the year. Dropping them also spares every evidence and decision write an index update.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("evidence_year", "evidence")
    op.drop_index("decision_series", "decision")


def downgrade() -> None:
    op.create_index("decision_series", "decision", ["title", "year", "rule_set_id", "rule_version"])
    op.create_index("evidence_year", "evidence", ["title", "year"])
