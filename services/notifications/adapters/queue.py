"""The persistent mail queue on the `alert` table: claimed with FOR NO KEY UPDATE SKIP LOCKED, so
the row lock (held by the claiming transaction for the whole send) keeps other replicas off it.

Before the SMTP send, a `delivery_attempt` row is committed on a second connection; the outcome
deletes it in the claiming transaction. Finding one when claiming therefore means a previous
attempt never recorded its outcome (a crash or a lost connection): the e-mail may already have
been delivered, and the resend is reported as such.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..domain.messages import Email
from ..domain.notices import Status
from ..ports import QueueStats
from .db import ALERTS, ATTEMPTS


class SqlClaim:
    def __init__(self, connection: AsyncConnection, row: Any, interrupted: bool) -> None:
        self.connection = connection
        self.row = row
        self.interrupted = interrupted
        self.attempts = row.attempts
        self.created_at = row.created_at
        self.email = Email(
            alert_key=row.alert_key, message_id=row.message_id, subject=row.subject, recipients=tuple(row.recipients),
            text=row.body_text, html=row.body_html, references=tuple(row.refers_to or ()),
        )

    async def _record(self, **values: Any) -> None:
        await self.connection.execute(ALERTS.update().where(ALERTS.c.id == self.row.id).values(attempts=self.attempts + 1, **values))
        await self.connection.execute(ATTEMPTS.delete().where(ATTEMPTS.c.alert_id == self.row.id))

    async def sent(self, at: datetime, refused: Sequence[str]) -> None:
        error = ("refused: " + "; ".join(refused))[:1000] if refused else None
        await self._record(status=Status.SENT.value, sent_at=at, last_error=error)

    async def retry(self, at: datetime, error: str) -> None:
        await self._record(next_attempt_at=at, last_error=error[:1000])

    async def failed(self, error: str, *, gave_up: bool) -> None:
        await self._record(status=Status.FAILED.value, failure="gave_up" if gave_up else "permanent", last_error=error[:1000])


class SqlMailQueue:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def claim(self, now: datetime) -> AsyncIterator[SqlClaim | None]:
        async with self.engine.connect() as connection, connection.begin():
            row = (await connection.execute(
                sa.select(ALERTS)
                .where(ALERTS.c.status == Status.PENDING.value, ALERTS.c.next_attempt_at <= now)
                .order_by(ALERTS.c.next_attempt_at, ALERTS.c.id)
                .limit(1)
                # NO KEY UPDATE: still exclusive between claimers, but lets the delivery_attempt
                # row's foreign key check (KEY SHARE) through from the second connection.
                .with_for_update(skip_locked=True, key_share=True)
            )).first()
            if row is None:
                yield None
                return
            yield SqlClaim(connection, row, await self._start_attempt(row.id, now))

    async def _start_attempt(self, alert_id: int, now: datetime) -> bool:
        """Commit the start of an attempt on its own connection; True if one was already there."""
        statement = postgresql.insert(ATTEMPTS).values(alert_id=alert_id, started_at=now)
        statement = statement.on_conflict_do_update(index_elements=["alert_id"], set_={"started_at": now})
        async with self.engine.begin() as connection:
            # xmax is 0 for a row this statement inserted, not for one it updated.
            existed = await connection.scalar(statement.returning(sa.literal_column("xmax::text") != "0"))
        return bool(existed)

    async def stats(self) -> QueueStats:
        async with self.engine.connect() as connection:
            row = (await connection.execute(sa.select(
                sa.func.count().filter(ALERTS.c.status == Status.PENDING.value),
                sa.func.min(ALERTS.c.created_at).filter(ALERTS.c.status == Status.PENDING.value),
                sa.func.count().filter(ALERTS.c.status == Status.FAILED.value),
            ))).one()
        return QueueStats(pending=row[0], oldest_pending=row[1], failed=row[2])

    async def requeue(self, keys: Sequence[str], now: datetime) -> list[str]:
        """Put failed e-mails back in the queue (after fixing an address); returns the keys requeued."""
        async with self.engine.begin() as connection:
            rows = await connection.execute(
                ALERTS.update()
                .where(ALERTS.c.alert_key.in_(list(keys)), ALERTS.c.status == Status.FAILED.value)
                .values(status=Status.PENDING.value, failure=None, next_attempt_at=now, attempts=0, created_at=now)
                .returning(ALERTS.c.alert_key)
            )
            return [r.alert_key for r in rows]
