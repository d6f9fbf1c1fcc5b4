"""Reading a service's inbox (`processed_event`) from a test."""

from __future__ import annotations

import sqlalchemy as sa

from shared.db import create_engine
from shared.settings import BaseServiceSettings


async def marked_events(settings: BaseServiceSettings, *, source: str | None = None) -> int:
    """How many events the service's inbox marks as processed (from `source`, if given)."""
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            query = "select count(*) from processed_event" + (" where source = :source" if source else "")
            return int(await connection.scalar(sa.text(query), {"source": source} if source else {}))
    finally:
        await engine.dispose()
