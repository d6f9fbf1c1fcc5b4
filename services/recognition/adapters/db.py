"""Recognition tables (SQLModel) and the stores that read and write them in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables
from shared.events.inbound import FamilyEvidence
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title
from shared.unit_of_work import SqlUnitOfWork

from ..domain.decisions import DecisionState


class RecognitionTable(SQLModel, registry=orm_registry()):
    """Base of recognition's tables (their own metadata: recognition owns its schema)."""


class FamilyEvidenceRow(RecognitionTable, table=True):
    __tablename__ = "family_evidence"

    household_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    evidence: dict[str, Any] = Field(sa_type=postgresql.JSONB)
    version: int


class DecisionRow(RecognitionTable, table=True):
    __tablename__ = "decision"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    granted: bool
    total_points: float
    rule_set_id: str
    rule_version: str
    revision: int
    body: dict[str, Any] = Field(sa_type=postgresql.JSONB)
    decided_at: datetime = Field(sa_column_kwargs={"server_default": sa.func.now()})


METADATA = RecognitionTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
EVIDENCE: sa.Table = FamilyEvidenceRow.__table__  # type: ignore[attr-defined]
DECISIONS: sa.Table = DecisionRow.__table__  # type: ignore[attr-defined]


class SqlEvidenceStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def versions(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        keys = list(keys)
        if not keys:
            return {}
        rows = await self.connection.execute(
            sa.select(EVIDENCE.c.household_id, EVIDENCE.c.year, EVIDENCE.c.version).where(
                sa.tuple_(EVIDENCE.c.household_id, EVIDENCE.c.year).in_(keys)
            )
        )
        return {(r.household_id, r.year): r.version for r in rows}

    async def save_many(self, rows: Sequence[tuple[str, int, FamilyEvidence, int]]) -> None:
        if not rows:
            return
        statement = postgresql.insert(EVIDENCE)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["household_id", "year"],
                set_={"evidence": statement.excluded.evidence, "version": statement.excluded.version},
                where=EVIDENCE.c.version < statement.excluded.version,
            ),
            [
                {"household_id": h, "year": y, "evidence": e.model_dump(mode="json"), "version": v}
                for h, y, e, v in rows
            ],
        )


class SqlDecisionStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get_many(self, title: Title, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], DecisionState]:
        keys = list(keys)
        if not keys:
            return {}
        rows = await self.connection.execute(
            sa.select(DECISIONS).where(
                DECISIONS.c.title == title.value,
                sa.tuple_(DECISIONS.c.entity_id, DECISIONS.c.year).in_(keys),
            )
        )
        return {
            (r.entity_id, r.year): DecisionState(
                title=Title(r.title),
                entity_id=r.entity_id,
                year=r.year,
                revision=r.revision,
                decision=TitleDecided.model_validate(r.body),
            )
            for r in rows
        }

    async def save_many(self, decisions: Sequence[DecisionState]) -> None:
        if not decisions:
            return
        statement = postgresql.insert(DECISIONS)
        columns = ("granted", "total_points", "rule_set_id", "rule_version", "revision", "body")
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "entity_id", "year"],
                set_={**{c: statement.excluded[c] for c in columns}, "decided_at": sa.func.now()},
            ),
            [
                {
                    "title": d.title.value,
                    "entity_id": d.entity_id,
                    "year": d.year,
                    "granted": d.decision.granted,
                    "total_points": d.decision.total_points,
                    "rule_set_id": d.decision.rule_set_id,
                    "rule_version": d.decision.rule_version,
                    "revision": d.revision,
                    "body": d.decision.model_dump(mode="json"),
                }
                for d in decisions
            ],
        )


class RecognitionSqlUnitOfWork(SqlUnitOfWork):
    def _bind(self, connection: AsyncConnection) -> None:
        self.evidence = SqlEvidenceStore(connection)
        self.decisions = SqlDecisionStore(connection)
