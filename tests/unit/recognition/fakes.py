"""In-memory recognition store implementing services.recognition.ports (locks are recorded)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from services.recognition.domain.cascade import Target
from services.recognition.domain.decisions import DecisionState, StoredDecision, content_digest
from services.recognition.domain.membership import (
    AreaRecord,
    CitizenRecord,
    ClanRecord,
    HouseholdRecord,
    UnitRecord,
)
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title
from shared.testing import FakeUnitOfWork


class MemoryStore:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {
            t: {} for t in ("citizen", "household", "unit", "clan", "area")
        }
        self.evidence_rows: dict[tuple[Title, str, int], tuple[dict[str, Any], int]] = {}
        self.decision_rows: dict[tuple[Title, str, int, str, str], DecisionState] = {}
        self.seen: dict[tuple[str, str], str] = {}
        self.locks: list[tuple[int, list[Target]]] = []

    async def lock(self, level: int, targets: Iterable[Target]) -> None:
        self.locks.append((level, sorted(targets, key=lambda t: (t[0].value, t[1]))))

    async def versions(self, table: str, ids: Iterable[str]) -> dict[str, int]:
        return {i: self.tables[table][i].version for i in ids if i in self.tables[table]}

    async def citizens(self, ids: Iterable[str]) -> dict[str, CitizenRecord]:
        return {i: self.tables["citizen"][i] for i in ids if i in self.tables["citizen"]}

    async def households(self, ids: Iterable[str]) -> dict[str, HouseholdRecord]:
        return {i: self.tables["household"][i] for i in ids if i in self.tables["household"]}

    async def units(self, ids: Iterable[str]) -> dict[str, UnitRecord]:
        return {i: self.tables["unit"][i] for i in ids if i in self.tables["unit"]}

    def _save(self, table: str, key: str, records: Sequence[Any]) -> None:
        for record in records:
            known = self.tables[table].get(getattr(record, key))
            if known is None or known.version < record.version:
                self.tables[table][getattr(record, key)] = record

    async def save_citizens(self, records: Sequence[CitizenRecord]) -> None:
        self._save("citizen", "citizen_id", records)

    async def save_households(self, records: Sequence[HouseholdRecord]) -> None:
        self._save("household", "household_id", records)

    async def save_units(self, records: Sequence[UnitRecord]) -> None:
        self._save("unit", "unit_id", records)

    async def save_clans(self, records: Sequence[ClanRecord]) -> None:
        self._save("clan", "clan_id", records)

    async def save_areas(self, records: Sequence[AreaRecord]) -> None:
        self._save("area", "code", records)

    async def evidence_versions(
        self, title: Title, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        return {
            (e, y): self.evidence_rows[(title, e, y)][1]
            for e, y in keys
            if (title, e, y) in self.evidence_rows
        }

    async def save_evidence(
        self, title: Title, rows: Sequence[tuple[str, int, dict[str, Any], int]]
    ) -> None:
        for entity, year, facts, version in rows:
            if self.evidence_rows.get((title, entity, year), ({}, 0))[1] < version:
                self.evidence_rows[(title, entity, year)] = (copy.deepcopy(facts), version)

    async def evidence(
        self, title: Title, entity_ids: Iterable[str]
    ) -> dict[tuple[str, int], dict[str, Any]]:
        ids = set(entity_ids)
        return {
            (e, y): dict(f)
            for (t, e, y), (f, _) in self.evidence_rows.items()
            if t == title and e in ids
        }

    async def decisions(
        self, title: Title, keys: Iterable[tuple[str, int, str, str]]
    ) -> dict[tuple[str, int], StoredDecision]:
        return {
            (e, y): StoredDecision(s.revision, s.decision.granted, s.digest)
            for e, y, r, v in keys
            if (s := self.decision_rows.get((title, e, y, r, v))) is not None
        }

    async def save_decisions(self, states: Sequence[DecisionState], bodies: Sequence[bytes]) -> None:
        assert len(bodies) == len(states)
        for s, body in zip(states, bodies, strict=True):
            assert TitleDecided.model_validate_json(body) == s.decision, "the body is the decision's JSON"
            assert s.digest == content_digest(s.decision), "the digest is the decision's"
            self.decision_rows[(s.title, s.entity_id, s.year, *s.series)] = s

    async def granted(
        self, title: Title, year: int, series: tuple[str, str], entity_ids: Iterable[str]
    ) -> set[str]:
        return {
            e
            for e in entity_ids
            if (s := self.decision_rows.get((title, e, year, *series))) and s.decision.granted
        }

    async def household_citizens(self, household_ids: Iterable[str]) -> list[CitizenRecord]:
        ids = set(household_ids)
        return [c for c in self.tables["citizen"].values() if c.household_id in ids]

    async def unit_citizens(self, unit_ids: Iterable[str]) -> list[CitizenRecord]:
        ids = set(unit_ids)
        return [c for c in self.tables["citizen"].values() if ids & set(c.unit_ids)]

    async def clan_households(self, clan_ids: Iterable[str]) -> list[HouseholdRecord]:
        ids = set(clan_ids)
        return [h for h in self.tables["household"].values() if h.clan_id in ids]

    async def hamlet_households(self, codes: Iterable[str]) -> list[HouseholdRecord]:
        wanted = set(codes)
        return [
            h for h in self.tables["household"].values() if wanted & {p.code for p in h.periods}
        ]

    async def evidence_keys(
        self, title: Title, years: Iterable[int] | None = None
    ) -> list[tuple[str, int]]:
        allowed = set(years) if years is not None else None
        return [
            (e, y)
            for t, e, y in self.evidence_rows
            if t == title and (allowed is None or y in allowed)
        ]

    async def decided_keys(self, title: Title, year: int, series: tuple[str, str]) -> set[str]:
        return {
            e for t, e, y, r, v in self.decision_rows if (t, y, (r, v)) == (title, year, series)
        }

    async def rule_sets_seen(self) -> dict[tuple[str, str], str]:
        return dict(self.seen)

    async def record_rule_sets(self, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            self.seen.setdefault((row["rule_set_id"], row["rule_version"]), row["fingerprint"])

    def snapshot(self) -> MemoryStore:
        """A copy to roll back to (records are immutable, so shallow copies of the tables do)."""
        copied = MemoryStore()
        copied.tables = {name: dict(rows) for name, rows in self.tables.items()}
        copied.evidence_rows = dict(self.evidence_rows)
        copied.decision_rows = dict(self.decision_rows)
        copied.seen = dict(self.seen)
        copied.locks = list(self.locks)
        return copied

    def current(self, title: Title) -> dict[tuple[str, int], DecisionState]:
        """The latest series of every (entity, year) of a title (by rule effective date)."""
        found: dict[tuple[str, int], DecisionState] = {}
        for (t, e, y, _, _), state in self.decision_rows.items():
            if t == title:
                known = found.get((e, y))
                if (
                    known is None
                    or known.decision.rule_effective_from < state.decision.rule_effective_from
                ):
                    found[(e, y)] = state
        return found


class FakeRecognitionUnitOfWork(FakeUnitOfWork):
    """One store kept across transactions; an uncommitted transaction's writes are undone."""

    def __init__(self, store: MemoryStore | None = None) -> None:
        super().__init__()
        self.store = store or MemoryStore()
        self._saved: MemoryStore | None = None

    async def __aenter__(self) -> FakeRecognitionUnitOfWork:
        await super().__aenter__()
        self._saved = self.store.snapshot()
        return self

    def rollback(self) -> None:
        if self._saved is not None:
            self.store.__dict__.update(self._saved.__dict__)
