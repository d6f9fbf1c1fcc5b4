"""PostgreSQL plumbing: the engine, the tables every service carries, and error classification.

Each service owns one schema and connects with `search_path` set to it, so its tables are named
without a schema and the same migrations run in any schema (tests use a fresh one each).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .settings import BaseServiceSettings


def create_engine(settings: BaseServiceSettings) -> AsyncEngine:
    """The service's engine. Every statement is planned for its own parameters
    (`plan_cache_mode=force_custom_plan`): asyncpg prepares each statement, and after five
    executions PostgreSQL would settle on a generic plan, which cannot see how many keys an
    `= any($1)` array holds nor hash them. On tables analysed while small, that plan scanned the
    table comparing every row with every key (50–600 ms a batch for a few thousand keys).
    Planning a batch statement anew costs well under a millisecond."""
    return create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {
                "search_path": settings.database_schema,
                "application_name": f"hoctap-{settings.service_name}",
                "plan_cache_mode": "force_custom_plan",
            },
            "timeout": 10,
        },
    )


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("select 1"))
        return True
    except Exception:
        return False


_TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now
    "53300",  # too_many_connections
    "42P01",  # undefined_table: the service started before its migration ran
    "42703",  # undefined_column: likewise
    "3F000",  # invalid_schema_name: likewise
}


def is_transient(error: BaseException) -> bool:
    """True when retrying later can succeed: the database or network, not the message, failed."""
    if isinstance(error, (OSError, ConnectionError, asyncio.TimeoutError, socket.gaierror)):
        return True
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    if isinstance(error, DBAPIError):
        original = getattr(error, "orig", None)
        sqlstate = getattr(original, "sqlstate", None) or getattr(
            getattr(original, "__cause__", None), "sqlstate", None
        )
        if sqlstate in _TRANSIENT_SQLSTATES or (sqlstate or "").startswith("08"):
            return True
        return bool(error.connection_invalidated)
    cause = error.__cause__
    return cause is not None and cause is not error and is_transient(cause)


def any_of(column: Any, values: Iterable[Any], item_type: Any = sa.Text) -> Any:
    """`column = any($1)`: the keys as one array parameter. An IN list is a different statement
    for every number of keys, so PostgreSQL parses and plans each anew (and asyncpg prepares it);
    at a few thousand keys that planning was the busiest process of the pipeline."""
    return column == sa.func.any(sa.literal(list(values), type_=postgresql.ARRAY(item_type)))


def any_row(columns: Sequence[Any], rows: Iterable[Sequence[Any]], item_types: Sequence[Any]) -> Any:
    """`(a, b, …) in (select * from unnest($1, $2, …))`: composite keys as one array per column,
    for the same reason as `any_of`."""
    rows = list(rows)
    arrays = [sa.literal([row[i] for row in rows], type_=postgresql.ARRAY(t)) for i, t in enumerate(item_types)]
    wanted = sa.func.unnest(*arrays).table_valued(*(f"k{i}" for i in range(len(item_types)))).render_derived(with_types=False)
    return sa.tuple_(*columns).in_(sa.select(*wanted.c))


def plumbing_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The outbox and the processed-event (inbox) tables, declared on a service's metadata."""
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", postgresql.BYTEA),
        sa.Column("value", postgresql.BYTEA),
        sa.Column("header_names", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("header_values", postgresql.ARRAY(postgresql.BYTEA), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    processed = sa.Table(
        "processed_event",
        metadata,
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    return outbox, processed
