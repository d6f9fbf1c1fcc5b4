"""What recognition's handlers need from the outside world.

Writes to an entity's projection, evidence or decisions happen only while the transaction holds
that entity's lock (`lock`), and locks are taken level by level in sorted order (see
`domain.cascade`); the store itself does not enforce it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from shared.consumer import Inbox, Outbox
from shared.events.vocabulary import Title

from .domain.cascade import Target
from .domain.decisions import DecisionState, StoredDecision
from .domain.membership import AreaRecord, CitizenRecord, ClanRecord, HouseholdRecord, UnitRecord


class RecognitionStore(Protocol):
    async def lock(self, level: int, targets: Iterable[Target]) -> None:
        """Hold these entities until the transaction ends (waits for other holders)."""

    async def versions(self, table: str, ids: Iterable[str]) -> dict[str, int]:
        """Stored snapshot versions of 'citizen', 'household', 'unit', 'clan' or 'area' records."""

    async def citizens(self, ids: Iterable[str]) -> dict[str, CitizenRecord]: ...
    async def households(self, ids: Iterable[str]) -> dict[str, HouseholdRecord]: ...
    async def units(self, ids: Iterable[str]) -> dict[str, UnitRecord]: ...
    async def save_citizens(self, records: Sequence[CitizenRecord]) -> None: ...
    async def save_households(self, records: Sequence[HouseholdRecord]) -> None: ...
    async def save_units(self, records: Sequence[UnitRecord]) -> None: ...
    async def save_clans(self, records: Sequence[ClanRecord]) -> None: ...
    async def save_areas(self, records: Sequence[AreaRecord]) -> None: ...

    async def evidence_versions(
        self, title: Title, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], int]: ...
    async def save_evidence(
        self, title: Title, rows: Sequence[tuple[str, int, dict[str, Any], int]]
    ) -> None: ...
    async def evidence(
        self, title: Title, entity_ids: Iterable[str]
    ) -> dict[tuple[str, int], dict[str, Any]]:
        """Every year's evidence of these entities, keyed by (entity, year)."""

    async def decisions(
        self, title: Title, keys: Iterable[tuple[str, int, str, str]]
    ) -> dict[tuple[str, int], StoredDecision]:
        """Stored decisions by (entity, year, rule set id, rule version), keyed by (entity, year)."""

    async def save_decisions(self, states: Sequence[DecisionState], bodies: Sequence[bytes]) -> None:
        """Store each state with `bodies[i]`, its decision's JSON (the bytes the outbox publishes)."""
    async def granted(
        self, title: Title, year: int, series: tuple[str, str], entity_ids: Iterable[str]
    ) -> set[str]: ...

    async def household_citizens(self, household_ids: Iterable[str]) -> list[CitizenRecord]: ...
    async def unit_citizens(self, unit_ids: Iterable[str]) -> list[CitizenRecord]: ...
    async def clan_households(self, clan_ids: Iterable[str]) -> list[HouseholdRecord]: ...
    async def hamlet_households(self, codes: Iterable[str]) -> list[HouseholdRecord]: ...


class RecognitionUnitOfWork(Protocol):
    inbox: Inbox
    outbox: Outbox
    store: RecognitionStore

    async def commit(self) -> None: ...


class ReevaluationStore(RecognitionStore, Protocol):
    """What re-evaluation and the rule-set history add to the consumer's store."""

    async def evidence_keys(
        self, title: Title, years: Iterable[int] | None = None
    ) -> list[tuple[str, int]]: ...
    async def decided_keys(self, title: Title, year: int, series: tuple[str, str]) -> set[str]: ...
    async def rule_sets_seen(self) -> dict[tuple[str, str], str]:
        """Fingerprints of the rule-set versions decisions were made under, by (id, version)."""

    async def record_rule_sets(self, rows: Sequence[dict[str, Any]]) -> None: ...
