"""In-memory recognition stores implementing services.recognition.ports."""

from collections.abc import Iterable, Sequence

from services.recognition.domain.decisions import DecisionState
from shared.events.inbound import FamilyEvidence
from shared.events.vocabulary import Title
from shared.testing import FakeUnitOfWork


class MemoryEvidence:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], tuple[FamilyEvidence, int]] = {}

    async def versions(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        return {k: self.rows[k][1] for k in keys if k in self.rows}

    async def save_many(self, rows: Sequence[tuple[str, int, FamilyEvidence, int]]) -> None:
        for household, year, evidence, version in rows:
            if self.rows.get((household, year), (None, 0))[1] < version:
                self.rows[(household, year)] = (evidence, version)


class MemoryDecisions:
    def __init__(self) -> None:
        self.rows: dict[tuple[Title, str, int], DecisionState] = {}

    async def get_many(self, title: Title, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], DecisionState]:
        return {(e, y): self.rows[(title, e, y)] for e, y in keys if (title, e, y) in self.rows}

    async def save_many(self, decisions: Sequence[DecisionState]) -> None:
        for d in decisions:
            self.rows[(d.title, d.entity_id, d.year)] = d


class FakeRecognitionUnitOfWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.evidence = MemoryEvidence()
        self.decisions = MemoryDecisions()
