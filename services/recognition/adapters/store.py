"""Recognition's store on PostgreSQL: locks, evidence, decision series and the rule-set history,
plus the projections (`projections`), all on the unit of work's connection, in bulk statements."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import any_of, any_row
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title

from ..domain.cascade import Target
from ..domain.decisions import DecisionState, StoredDecision, content_digest
from .db import DECISIONS, EVIDENCE, RULE_SETS_SEEN
from .projections import ProjectionQueries

# The first key of recognition's advisory locks (+ level), apart from other services' keys
# (two-key locks do not share a key space with the one-key locks metrics and the outbox take).
LOCK_SPACE = 0x5EC0

_LOCK = sa.text(
    # unnest yields the (already sorted) keys in array order, so the locks are taken in that order.
    "select count(pg_advisory_xact_lock(k1, k2)) from unnest(cast(:k1 as int[]), cast(:k2 as int[])) as t(k1, k2)"
)


def lock_keys(namespace: str, level: int, targets: Iterable[Target]) -> list[tuple[int, int]]:
    """Advisory-lock keys for a level's entities, sorted: every transaction takes them in one order."""
    keys = {
        (LOCK_SPACE + level, zlib.crc32(f"{namespace}|{title.value}|{entity}".encode()) - 2**31)
        for title, entity in targets
    }
    return sorted(keys)


class SqlRecognitionStore(ProjectionQueries):
    def __init__(self, connection: AsyncConnection, namespace: str = "recognition") -> None:
        self.connection = connection
        self.namespace = namespace

    async def lock(self, level: int, targets: Iterable[Target]) -> None:
        keys = lock_keys(self.namespace, level, targets)
        if keys:
            await self.connection.execute(
                _LOCK, {"k1": [a for a, _ in keys], "k2": [b for _, b in keys]}
            )

    # --- evidence --------------------------------------------------------------------------------

    async def evidence_versions(
        self, title: Title, keys: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        keys = list(keys)
        if not keys:
            return {}
        rows = await self.connection.execute(
            sa.select(EVIDENCE.c.entity_id, EVIDENCE.c.year, EVIDENCE.c.version).where(
                EVIDENCE.c.title == title.value,
                any_row((EVIDENCE.c.entity_id, EVIDENCE.c.year), keys, (sa.Text, sa.Integer)),
            )
        )
        return {(r.entity_id, r.year): r.version for r in rows}

    async def save_evidence(
        self, title: Title, rows: Sequence[tuple[str, int, dict[str, Any], int]]
    ) -> None:
        if not rows:
            return
        statement = postgresql.insert(EVIDENCE)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "entity_id", "year"],
                set_={"facts": statement.excluded.facts, "version": statement.excluded.version},
                where=EVIDENCE.c.version < statement.excluded.version,
            ),
            [
                {"title": title.value, "entity_id": e, "year": y, "facts": f, "version": v}
                for e, y, f, v in rows
            ],
        )

    async def evidence(
        self, title: Title, entity_ids: Iterable[str]
    ) -> dict[tuple[str, int], dict[str, Any]]:
        """Every year's evidence of these entities."""
        rows = await self.connection.execute(
            sa.select(EVIDENCE.c.entity_id, EVIDENCE.c.year, EVIDENCE.c.facts).where(
                EVIDENCE.c.title == title.value, any_of(EVIDENCE.c.entity_id, entity_ids)
            )
        )
        return {(r.entity_id, r.year): r.facts for r in rows}

    # --- decisions ---------------------------------------------------------------------------------

    async def decisions(
        self, title: Title, keys: Iterable[tuple[str, int, str, str]]
    ) -> dict[tuple[str, int], StoredDecision]:
        """The stored decision of each (entity, year) in the given series (rule set id, version):
        its revision, verdict and digest. The body is read only for a decision stored without a
        digest (before migration 0005), to compute it."""
        keys = list(keys)
        if not keys:
            return {}
        rows = await self.connection.execute(
            sa.select(
                DECISIONS.c.entity_id,
                DECISIONS.c.year,
                DECISIONS.c.revision,
                DECISIONS.c.granted,
                DECISIONS.c.digest,
                sa.case((DECISIONS.c.digest.is_(None), DECISIONS.c.body)).label("body"),
            ).where(
                DECISIONS.c.title == title.value,
                any_row(
                    (DECISIONS.c.entity_id, DECISIONS.c.year, DECISIONS.c.rule_set_id, DECISIONS.c.rule_version),
                    keys,
                    (sa.Text, sa.Integer, sa.Text, sa.Text),
                ),
            )
        )
        return {
            (r.entity_id, r.year): StoredDecision(
                r.revision,
                r.granted,
                r.digest if r.digest is not None else content_digest(TitleDecided.model_validate(r.body)),
            )
            for r in rows
        }

    async def save_decisions(self, states: Sequence[DecisionState], bodies: Sequence[bytes]) -> None:
        """The body goes in as the JSON text the outbox publishes, cast by PostgreSQL (dumping the
        model to a dict for the driver to serialise again was a tenth of the handler's time). It
        is kept as `json`, the text as sent: parsing it into `jsonb` cost PostgreSQL about 60 µs
        more a decision, and nothing queries inside it."""
        if not states:
            return
        statement = postgresql.insert(DECISIONS).values(body=sa.cast(sa.bindparam("body_json", type_=sa.Text), postgresql.JSON))
        columns = (
            "granted",
            "assessable",
            "total_points",
            "revision",
            "rule_effective_from",
            "body",
            "digest",
        )
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "entity_id", "year", "rule_set_id", "rule_version"],
                set_={**{c: statement.excluded[c] for c in columns}, "decided_at": sa.func.now()},
            ),
            [
                {
                    "title": s.title.value,
                    "entity_id": s.entity_id,
                    "year": s.year,
                    "rule_set_id": s.decision.rule_set_id,
                    "rule_version": s.decision.rule_version,
                    "granted": s.decision.granted,
                    "assessable": s.decision.assessable,
                    "total_points": s.decision.total_points,
                    "revision": s.revision,
                    "rule_effective_from": s.decision.rule_effective_from,
                    "body_json": body.decode(),
                    "digest": s.digest,
                }
                for s, body in zip(states, bodies, strict=True)
            ],
        )

    async def granted(
        self, title: Title, year: int, series: tuple[str, str], entity_ids: Iterable[str]
    ) -> set[str]:
        """Which of these entities hold the title for the year in the current series."""
        ids = list(set(entity_ids))
        if not ids:
            return set()
        rows = await self.connection.execute(
            sa.select(DECISIONS.c.entity_id).where(
                DECISIONS.c.title == title.value,
                any_of(DECISIONS.c.entity_id, ids),
                DECISIONS.c.year == year,
                DECISIONS.c.rule_set_id == series[0],
                DECISIONS.c.rule_version == series[1],
                DECISIONS.c.granted,
            )
        )
        return {r.entity_id for r in rows}

    # --- re-evaluation and rule-set history ------------------------------------------------------------

    async def evidence_keys(
        self, title: Title, years: Iterable[int] | None = None
    ) -> list[tuple[str, int]]:
        query = sa.select(EVIDENCE.c.entity_id, EVIDENCE.c.year).where(
            EVIDENCE.c.title == title.value
        )
        if years is not None:
            query = query.where(EVIDENCE.c.year.in_(list(years)))
        return [(r.entity_id, r.year) for r in await self.connection.execute(query)]

    async def decided_keys(self, title: Title, year: int, series: tuple[str, str]) -> set[str]:
        rows = await self.connection.execute(
            sa.select(DECISIONS.c.entity_id).where(
                DECISIONS.c.title == title.value,
                DECISIONS.c.year == year,
                DECISIONS.c.rule_set_id == series[0],
                DECISIONS.c.rule_version == series[1],
            )
        )
        return {r.entity_id for r in rows}

    async def rule_sets_seen(self) -> dict[tuple[str, str], str]:
        rows = await self.connection.execute(sa.select(RULE_SETS_SEEN))
        return {(r.rule_set_id, r.rule_version): r.fingerprint for r in rows}

    async def record_rule_sets(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self.connection.execute(
                postgresql.insert(RULE_SETS_SEEN).on_conflict_do_nothing(), list(rows)
            )
