"""What notifications needs from the outside world: stores for figures, verdicts and notices
(one transaction per unit of work), the mail queue, and the mailer."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.consumer import Inbox, Outbox
from shared.events.vocabulary import Level, Title

from .domain.calendar import Phase
from .domain.messages import Email
from .domain.notices import Notice
from .domain.records import VerdictKey, VerdictRecord
from .domain.verdicts import Figures, Verdict


class IndicatorStore(Protocol):
    async def save_latest(self, cells: Sequence[Figures], received_at: datetime) -> None:
        """Keep the highest revision of each cell (title, year, level, area)."""

    async def due(
        self,
        *,
        phases: Mapping[int, Phase],
        judged: Collection[tuple[Title, Level]],
        settled_before: datetime,
        fingerprint: str,
    ) -> list[tuple[Figures, Figures | None]]:
        """Cells (with last year's) of the given years and (title, level) pairs, both settled,
        whose evaluation mark differs from `evaluation_mark(...)`."""

    async def mark_evaluated(self, marks: Sequence[tuple[Figures, str]]) -> None: ...

    async def children(self, title: Title, year: int, parent_code: str) -> list[Figures]: ...

    async def unsettled_children(self, title: Title, year: int, parent_code: str, level: Level, settled_before: datetime) -> int:
        """Children of one level (this year or last) that changed after `settled_before`."""

    async def area(self, area_code: str) -> tuple[str | None, Level, str | None] | None:
        """(name, level, parent code) of an area as the latest cells describe it."""


class VerdictStore(Protocol):
    async def get(self, keys: Collection[VerdictKey]) -> dict[VerdictKey, VerdictRecord]: ...

    async def save(self, records: Sequence[tuple[VerdictRecord, bool]]) -> None:
        """Upsert the records; those flagged changed are also appended to the history."""

    async def escalation_candidates(self, missed_before: datetime) -> list[VerdictRecord]: ...


class NoticeStore(Protocol):
    async def add(self, notice: Notice, email: Email | None) -> bool:
        """Create the notice unless its key exists (then nothing changes); True when created."""

    async def undigested(self) -> list[Notice]: ...

    async def attach(self, keys: Sequence[str], digest_key: str) -> None: ...

    async def digest_count(self, parent_code: str, title: Title, year: int, verdict: Verdict) -> int: ...


class EvaluationUnitOfWork(Protocol):
    indicators: IndicatorStore
    verdicts: VerdictStore
    notices: NoticeStore

    async def try_lock(self) -> bool:
        """Only one evaluator at a time across replicas (False: another one is at it)."""

    async def commit(self) -> None: ...


class IndicatorsUnitOfWork(Protocol):
    inbox: Inbox
    outbox: Outbox
    indicators: IndicatorStore

    async def commit(self) -> None: ...


@dataclass(frozen=True, slots=True)
class QueueStats:
    pending: int
    oldest_pending: datetime | None
    failed: int


class Claimed(Protocol):
    """One e-mail claimed for delivery; exactly one of the outcome methods is called."""

    email: Email
    attempts: int  # before this one
    created_at: datetime
    interrupted: bool  # a previous attempt started and never recorded an outcome (a crash)

    async def sent(self, at: datetime, refused: Sequence[str]) -> None: ...
    async def retry(self, at: datetime, error: str) -> None: ...
    async def failed(self, error: str, *, gave_up: bool) -> None: ...


class MailQueue(Protocol):
    def claim(self, now: datetime) -> AbstractAsyncContextManager[Claimed | None]:
        """The oldest due e-mail, held (no other replica can take it) until the context exits,
        which records the outcome; None when nothing is due."""

    async def stats(self) -> QueueStats: ...


class Mailer(Protocol):
    async def send(self, email: Email) -> Sequence[str]:
        """Deliver; return the recipients refused (the others accepted), or raise
        TemporaryFailure / PermanentFailure (see adapters.smtp)."""


class TemporaryFailure(Exception):
    """Worth retrying later: the server is down, busy (4xx) or the connection broke."""


class PermanentFailure(Exception):
    """Retrying will not help (5xx): recorded and surfaced, never retried."""
