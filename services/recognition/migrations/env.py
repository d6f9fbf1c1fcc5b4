"""Alembic environment of the recognition schema."""

from alembic import context

from services.recognition.adapters.db import METADATA
from shared.migrations import run_migrations

run_migrations(context, METADATA)
