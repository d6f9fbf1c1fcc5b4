"""In-memory notifications stores, queue and mailer implementing services.notifications.ports."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.notifications.domain.calendar import Phase
from services.notifications.domain.messages import Email
from services.notifications.domain.notices import Kind, Notice, Status
from services.notifications.domain.records import VerdictKey, VerdictRecord, evaluation_mark
from services.notifications.domain.verdicts import Figures, Verdict
from services.notifications.ports import PermanentFailure, QueueStats, TemporaryFailure
from shared.events.vocabulary import Level, Title
from shared.testing import FakeUnitOfWork

CellKey = tuple[Title, int, Level, str]


@dataclass
class StoredCell:
    figures: Figures
    received_at: datetime
    evaluated: str | None = None


class FakeIndicatorStore:
    def __init__(self) -> None:
        self.cells: dict[CellKey, StoredCell] = {}

    async def save_latest(self, cells: Sequence[Figures], received_at: datetime) -> None:
        for cell in cells:
            key = (cell.title, cell.year, cell.level, cell.area_code)
            stored = self.cells.get(key)
            if stored is None or stored.figures.revision < cell.revision:
                self.cells[key] = StoredCell(cell, received_at, stored.evaluated if stored else None)

    async def due(
        self, *, phases: Mapping[int, Phase], judged: Collection[tuple[Title, Level]], settled_before: datetime, fingerprint: str
    ) -> list[tuple[Figures, Figures | None]]:
        found = []
        for (title, year, level, area), stored in sorted(self.cells.items()):
            if year not in phases or (title, level) not in judged or stored.received_at > settled_before:
                continue
            previous = self.cells.get((title, year - 1, level, area))
            if previous is not None and previous.received_at > settled_before:
                continue
            mark = evaluation_mark(phases[year], stored.figures.revision, previous.figures.revision if previous else None, fingerprint)
            if stored.evaluated != mark:
                found.append((stored.figures, previous.figures if previous else None))
        return found

    async def mark_evaluated(self, marks: Sequence[tuple[Figures, str]]) -> None:
        for figures, mark in marks:
            self.cells[(figures.title, figures.year, figures.level, figures.area_code)].evaluated = mark

    async def children(self, title: Title, year: int, parent_code: str) -> list[Figures]:
        return [s.figures for (t, y, _, _), s in self.cells.items() if t == title and y == year and s.figures.parent_code == parent_code]

    async def unsettled_children(self, title: Title, year: int, parent_code: str, level: Level, settled_before: datetime) -> int:
        return sum(
            1 for (t, y, lv, _), s in self.cells.items()
            if t == title and y in (year, year - 1) and lv == level and s.figures.parent_code == parent_code and s.received_at > settled_before
        )

    async def area(self, area_code: str) -> tuple[str | None, Level, str | None] | None:
        matches = sorted((y, s.figures) for (_, y, _, a), s in self.cells.items() if a == area_code)
        if not matches:
            return None
        figures = matches[-1][1]
        return (figures.area_name, figures.level, figures.parent_code)


class FakeVerdictStore:
    def __init__(self) -> None:
        self.records: dict[VerdictKey, VerdictRecord] = {}
        self.history: list[VerdictRecord] = []

    async def get(self, keys: Collection[VerdictKey]) -> dict[VerdictKey, VerdictRecord]:
        return {k: self.records[k] for k in keys if k in self.records}

    async def save(self, records: Sequence[tuple[VerdictRecord, bool]]) -> None:
        for record, changed in records:
            self.records[record.key] = record
            if changed:
                self.history.append(record)

    async def escalation_candidates(self, missed_before: datetime) -> list[VerdictRecord]:
        return [r for r in self.records.values() if r.verdict is Verdict.MISSED and r.resolved_at is None
                and r.escalated_at is None and r.missed_at is not None and r.missed_at <= missed_before]


class FakeNoticeStore:
    def __init__(self) -> None:
        self.notices: dict[str, Notice] = {}
        self.emails: dict[str, Email] = {}

    async def add(self, notice: Notice, email: Email | None) -> bool:
        if notice.key in self.notices:
            return False
        self.notices[notice.key] = notice
        if email is not None:
            self.emails[notice.key] = email
        return True

    async def undigested(self) -> list[Notice]:
        return [n for n in self.notices.values() if n.kind is Kind.AREA and n.digest_key is None and n.parent_code]

    async def attach(self, keys: Sequence[str], digest_key: str) -> None:
        for key in keys:
            self.notices[key] = replace(self.notices[key], digest_key=digest_key)

    async def digest_count(self, parent_code: str, title: Title, year: int, verdict: Verdict) -> int:
        return sum(1 for n in self.notices.values() if n.kind is Kind.DIGEST and n.area_code == parent_code
                   and n.title == title and n.year == year and n.verdict == verdict)

    def sendable(self) -> dict[str, Email]:
        """The e-mails owed (notices waiting for the SMTP server)."""
        return {k: self.emails[k] for k, n in self.notices.items() if n.status is Status.PENDING}


class FakeEvaluationUnitOfWork(FakeUnitOfWork):
    """One shared state; a pass that does not commit leaves it as it was."""

    def __init__(self) -> None:
        super().__init__()
        self.indicators = FakeIndicatorStore()
        self.verdicts = FakeVerdictStore()
        self.notices = FakeNoticeStore()
        self.locked_by_someone_else = False

    async def __aenter__(self) -> FakeEvaluationUnitOfWork:
        self._state = copy.deepcopy((self.indicators, self.verdicts, self.notices))
        await super().__aenter__()
        return self

    def rollback(self) -> None:
        self.indicators, self.verdicts, self.notices = self._state

    async def try_lock(self) -> bool:
        return not self.locked_by_someone_else


@dataclass
class FakeClaim:
    queue: FakeMailQueue
    item: QueuedEmail
    interrupted: bool

    @property
    def email(self) -> Email:
        return self.item.email

    @property
    def attempts(self) -> int:
        return self.item.attempts

    @property
    def created_at(self) -> datetime:
        return self.item.created_at

    async def sent(self, at: datetime, refused: Sequence[str]) -> None:
        self.item.update(status="sent", sent_at=at, refused=list(refused))

    async def retry(self, at: datetime, error: str) -> None:
        self.item.update(next_attempt_at=at, last_error=error)

    async def failed(self, error: str, *, gave_up: bool) -> None:
        self.item.update(status="failed", last_error=error, failure="gave_up" if gave_up else "permanent")


@dataclass
class QueuedEmail:
    email: Email
    created_at: datetime
    next_attempt_at: datetime
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    failure: str | None = None
    sent_at: datetime | None = None
    refused: list[str] = field(default_factory=list)
    attempt_open: bool = False
    _outcome: dict[str, object] | None = None

    def update(self, **values: object) -> None:
        self._outcome = values


class FakeMailQueue:
    """Outcomes apply only when the claim's context exits normally (as a commit would)."""

    def __init__(self) -> None:
        self.items: list[QueuedEmail] = []

    def put(self, email: Email, at: datetime) -> None:
        self.items.append(QueuedEmail(email, at, at))

    @asynccontextmanager
    async def claim(self, now: datetime) -> AsyncIterator[FakeClaim | None]:
        due = [i for i in self.items if i.status == "pending" and i.next_attempt_at <= now]
        if not due:
            yield None
            return
        item = min(due, key=lambda i: i.next_attempt_at)
        interrupted, item.attempt_open = item.attempt_open, True
        item._outcome = None
        yield FakeClaim(self, item, interrupted)
        if item._outcome is not None:
            for name, value in item._outcome.items():
                setattr(item, name, value)
            item.attempts += 1
            item.attempt_open = False

    async def stats(self) -> QueueStats:
        pending = [i for i in self.items if i.status == "pending"]
        return QueueStats(len(pending), min((i.created_at for i in pending), default=None),
                          sum(1 for i in self.items if i.status == "failed"))


class FakeMailer:
    """Records what it 'sends'; `fail_with` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.fail_with: Exception | None = None
        self.refuse: list[str] = []

    async def send(self, email: Email) -> Sequence[str]:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(email)
        return list(self.refuse)


__all__ = ["FakeEvaluationUnitOfWork", "FakeMailQueue", "FakeMailer", "PermanentFailure", "TemporaryFailure"]
