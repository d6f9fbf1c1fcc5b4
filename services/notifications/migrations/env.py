"""Alembic environment of the notifications schema."""

from alembic import context

from services.notifications.adapters.db import METADATA
from shared.migrations import run_migrations

run_migrations(context, METADATA)
