"""Alembic environment of the registry schema."""

from alembic import context

from services.registry.adapters.db import METADATA
from shared.migrations import run_migrations

run_migrations(context, METADATA)
