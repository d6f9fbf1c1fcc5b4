"""Store each decision's content digest beside it, and its body as `json` rather than `jsonb`.

- `digest`: to tell whether a new evaluation says something new, the cascade read every previous
  decision's body back, decoded it and validated it into the event model: a sixth of
  recognition's CPU under a steady stream of evidence, and the largest rows PostgreSQL sent it.
  It now reads the 16-byte digest (`domain.decisions.content_digest`). Decisions stored before
  this migration have none; the store computes theirs from the body when it reads them, and
  their next change stores it.
- `body` as `json`: the body is written once per decision and read whole (the API returns it);
  nothing queries inside it. Parsing 3 KB of JSON into `jsonb` cost PostgreSQL about 110 µs a
  row, against about 50 µs for `json`, which keeps the text as sent.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("decision", sa.Column("digest", postgresql.BYTEA(), nullable=True))
    op.execute("alter table decision alter column body type json using cast(cast(body as text) as json)")


def downgrade() -> None:
    op.execute("alter table decision alter column body type jsonb using cast(cast(body as text) as jsonb)")
    op.drop_column("decision", "digest")
