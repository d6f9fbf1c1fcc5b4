"""What recognition's handlers need from the outside world."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from shared.consumer import Inbox, Outbox
from shared.events.inbound import FamilyEvidence
from shared.events.vocabulary import Title

from .domain.decisions import DecisionState


class EvidenceStore(Protocol):
    async def versions(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]: ...
    async def save_many(self, rows: Sequence[tuple[str, int, FamilyEvidence, int]]) -> None: ...


class DecisionStore(Protocol):
    async def get_many(self, title: Title, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], DecisionState]: ...
    async def save_many(self, decisions: Sequence[DecisionState]) -> None: ...


class RecognitionUnitOfWork(Protocol):
    inbox: Inbox
    outbox: Outbox
    evidence: EvidenceStore
    decisions: DecisionStore

    async def commit(self) -> None: ...
