"""Alembic environment of the metrics schema."""

from alembic import context

from services.metrics.adapters.db import METADATA
from shared.migrations import run_migrations

run_migrations(context, METADATA)
