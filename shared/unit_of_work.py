"""The SQL unit of work: one connection, one transaction, rolled back unless committed.

Services subclass it to add their repositories (`_bind`), all on the same connection, so the
state change, the processed-event marks and the outbox rows commit or vanish together.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .outbox import SqlOutbox
from .sql_arrays import text_array

# The usual batch holds no event seen before: a plain insert claims it at about half the cost of
# `on conflict do nothing`, whose speculative insertion probes the key twice. A redelivered event
# makes it fail on the primary key; the batch is then claimed the careful way.
_MARK = sa.text(
    "insert into processed_event (source, event_id) "
    "select * from unnest(cast(cast(:sources as text) as text[]), cast(cast(:ids as text) as text[]))"
)
# Returns the identities that were already there (usually none), not the thousands that were
# claimed: reading a row per claimed event back into Python had cost ≈ 3 µs an event.
_CLAIM = sa.text(
    "with claimed as (insert into processed_event (source, event_id) "
    "select * from unnest(cast(:sources as text[]), cast(:ids as text[])) "
    "on conflict do nothing returning source, event_id) "
    "select k.source, k.event_id from unnest(cast(:sources as text[]), cast(:ids as text[])) as k(source, event_id) "
    "except select source, event_id from claimed"
)


class SqlInbox:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def claim(self, identities: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Mark events processed; returns those no other transaction had marked.

        A concurrent transaction that marked the same event first makes this one wait for its
        outcome (committed: taken; rolled back: claimed here), so of two consumers racing for an
        event exactly one gets it.
        """
        if not identities:
            return set()
        params = {"sources": [s for s, _ in identities], "ids": [i for _, i in identities]}
        literals = {name: text_array(values) for name, values in params.items()}  # sql_arrays
        try:
            async with self.connection.begin_nested():  # a savepoint: a failure undoes only this
                await self.connection.execute(_MARK, literals)
            return set(identities)
        except IntegrityError:
            pass  # some were claimed before (a redelivery), or twice in this batch
        taken = await self.connection.execute(_CLAIM, params)
        return set(identities).difference(map(tuple, taken))


class SqlUnitOfWork:
    def __init__(self, engine: AsyncEngine, outbox_table: sa.Table, channel: str) -> None:
        self.engine = engine
        self.outbox_table = outbox_table
        self.channel = channel
        self._committed = False

    async def __aenter__(self) -> SqlUnitOfWork:
        self.connection = await self.engine.connect()
        await self.connection.begin()
        self.inbox = SqlInbox(self.connection)
        self.outbox = SqlOutbox(self.connection, self.outbox_table, self.channel)
        self._bind(self.connection)
        return self

    def _bind(self, connection: AsyncConnection) -> None:
        """Attach the service's repositories to the transaction's connection."""

    async def commit(self) -> None:
        await self.connection.commit()
        self._committed = True

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                await self.connection.rollback()
        finally:
            await self.connection.close()
