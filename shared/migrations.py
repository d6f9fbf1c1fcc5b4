"""Runs a service's Alembic migrations inside its own schema.

Each service keeps `services/<name>/migrations/` (env.py + versions/); its env.py calls
`run_migrations`. Migrations run as a step before the service starts (`python -m
services.<name> migrate`, a Kubernetes Job), never from application start-up.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from .settings import BaseServiceSettings


def alembic_config(settings: BaseServiceSettings, migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.attributes["database_url"] = settings.database_url
    config.attributes["schema"] = settings.database_schema
    return config


def upgrade(settings: BaseServiceSettings, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the service's schema to `revision` (blocking; call it outside an event loop)."""
    command.upgrade(alembic_config(settings, migrations_dir), revision)


def run_migrations(context, target_metadata: sa.MetaData) -> None:  # type: ignore[no-untyped-def]
    """The body of every service's env.py (online mode only: migrations need a database)."""
    url = context.config.attributes["database_url"]
    schema = context.config.attributes["schema"]

    def migrate(connection: sa.Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})
        try:
            async with engine.begin() as connection:
                await connection.execute(sa.text(f'create schema if not exists "{schema}"'))
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())
