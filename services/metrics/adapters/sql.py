"""Small helpers the metrics SQL shares: advisory lock keys, JSON periods, row conversions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Level, Title

from ..domain.cells import Cell, CellKey, Counts, Figures, Hierarchy, Tally
from ..domain.facts import DecisionFact, FactRow
from ..domain.hierarchy import AreaRecord, ParentPeriod

_LOCK_MANY = sa.text(
    "select count(pg_advisory_xact_lock(k)) from (select unnest(cast(:keys as bigint[])) as k order by 1) s"
)
_LOCK_MANY_SHARED = sa.text(
    "select count(pg_advisory_xact_lock_shared(k)) from (select unnest(cast(:keys as bigint[])) as k order by 1) s"
)


def lock_key(text: str) -> int:
    """A stable signed 64-bit advisory lock key (crc32 would collide far sooner)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


async def advisory_locks(
    connection: AsyncConnection, names: Iterable[str], *, exclusive: bool = True
) -> None:
    """Take transaction-level advisory locks, always in key order (so no two waits form a cycle)."""
    keys = sorted({lock_key(name) for name in names})
    if keys:
        await connection.execute(_LOCK_MANY if exclusive else _LOCK_MANY_SHARED, {"keys": keys})


def periods_json(periods: Iterable[ParentPeriod]) -> str:
    return json.dumps(
        [
            {
                "code": p.code,
                "valid_from": p.valid_from.isoformat(),
                "valid_to": p.valid_to.isoformat() if p.valid_to else None,
            }
            for p in periods
        ]
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def periods_of(value: Any) -> tuple[ParentPeriod, ...]:
    return tuple(
        ParentPeriod(
            p["code"],
            date.fromisoformat(p["valid_from"]),
            date.fromisoformat(p["valid_to"]) if p["valid_to"] else None,
        )
        for p in _json(value) or []
    )


def area_of(row: Any) -> AreaRecord:
    return AreaRecord(
        code=row.code,
        level=Level(row.level),
        name=row.name,
        parent_code=row.parent_code,
        province_code=row.province_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        successor_code=row.successor_code,
        parent_history=periods_of(row.parent_history),
        version=row.version,
        current_code=row.current_code,
    )


class AreaRecords:
    """`area_of` remembered by the row's whole content: every batch reads its areas again (another
    replica may have changed them), but an unchanged row need not be converted again (its
    history's JSON parsed, its level looked up). A changed row is a new key, so nothing is ever
    stale; the memory is bounded by dropping everything when full (areas are at most tens of
    thousands nationally)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._known: dict[tuple[Any, ...], AreaRecord] = {}

    def of(self, row: Any) -> AreaRecord:
        """The record of a row whose values are all hashable (its history as JSON text)."""
        content = tuple(row)
        known = self._known.get(content)
        if known is None:
            if len(self._known) >= self.limit:
                self._known.clear()
            known = self._known[content] = area_of(row)
        return known


AREA_RECORDS = AreaRecords()  # process-wide: records are immutable, keyed by the row's content

TITLES = {t.value: t for t in Title}
LEVELS = {lv.value: lv for lv in Level}
HIERARCHIES = {h.value: h for h in Hierarchy}

FACT_FIELDS = (
    "entity_id",
    "year",
    "leaf_code",
    "registered",
    "registration_version",
    "decided",
    "granted",
    "assessable",
    "rule_version",
    "rule_effective_from",
    "decision_revision",
)
FACT_COLUMNS = ", ".join(FACT_FIELDS)
CELL_FIELDS = (
    "title",
    "hierarchy",
    "level",
    "area_code",
    "year",
    "parent_code",
    "area_name",
    "total",
    "registered",
    "recognised",
    "assessed",
    "rule_versions",
    "ratio_all",
    "ratio_registered",
    "data_status",
    "data_status_reason",
    "change_points",
    "goal_percent",
    "goal_year",
    "projected_goal_year_percent",
    "target_percent",
    "revision",
)
# rule_versions is read as text: decoding it here is cheaper than a JSON codec per row.


def cell_columns(alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        f"cast({prefix}{f} as text)" if f == "rule_versions" else prefix + f for f in CELL_FIELDS
    )


CELL_COLUMNS = cell_columns()


def fact_of(title: Title, row: Any) -> FactRow:
    """A fact row from a tuple in FACT_COLUMNS order (positional: attribute access costs per column)."""
    (
        entity_id,
        year,
        leaf,
        registered,
        registration_version,
        decided,
        granted,
        assessable,
        version,
        effective,
        revision,
    ) = row
    decision = DecisionFact(granted, assessable, version, effective, revision) if decided else None
    return FactRow(title, entity_id, year, leaf, registered, registration_version, decision)


def versions_of(text: str | None) -> dict[str, int]:
    return {} if not text or text == "{}" else json.loads(text)


def cell_of(row: Any) -> Cell:
    """A cell from a tuple in CELL_COLUMNS order."""
    (
        title,
        hierarchy,
        level,
        area_code,
        year,
        parent,
        name,
        total,
        registered,
        recognised,
        assessed,
        versions,
        ratio_all,
        ratio_registered,
        status,
        reason,
        change,
        goal,
        goal_year,
        projected,
        target,
        revision,
    ) = row
    key = CellKey(TITLES[title], year, HIERARCHIES[hierarchy], LEVELS[level], area_code)
    figures = Figures(
        ratio_all, ratio_registered, status, reason, change, goal, goal_year, projected, target
    )
    tally = Tally(
        Counts(total, registered, recognised, assessed),
        tuple(sorted(versions_of(versions).items())),
    )
    return Cell(key, parent, name, tally, figures, revision)


def versions_json(tally: Tally) -> str:
    return json.dumps(dict(tally.versions))
