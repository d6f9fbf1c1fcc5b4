"""Read-only queries behind the HTTP API (/v1/alerts, /v1/verdicts)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from .db import ALERTS, VERDICTS

_ALERT_COLUMNS = ("alert_key", "kind", "area_code", "level", "parent_code", "title", "year", "verdict", "agency_id",
                  "status", "digest_key", "attempts", "subject", "message_id", "last_error", "failure")
_VERDICT_COLUMNS = ("area_code", "area_name", "level", "parent_code", "title", "year", "verdict", "phase", "total",
                    "recognised", "percent", "previous_percent", "growth_points", "required_percent",
                    "projected_percent", "shortfall", "reason")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def list_alerts(engine: AsyncEngine, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    query = sa.select(ALERTS).order_by(ALERTS.c.id).limit(limit)
    for name, value in filters.items():
        if value is not None:
            query = query.where(ALERTS.c[name] == value)
    async with engine.connect() as connection:
        rows = await connection.execute(query)
        return [
            {**{c: getattr(r, c) for c in _ALERT_COLUMNS}, "created_at": _iso(r.created_at), "sent_at": _iso(r.sent_at),
             "next_attempt_at": _iso(r.next_attempt_at) if r.status == "pending" else None}
            for r in rows
        ]


async def list_verdicts(engine: AsyncEngine, filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    query = sa.select(VERDICTS).order_by(VERDICTS.c.year, VERDICTS.c.title, VERDICTS.c.area_code).limit(limit)
    for name, value in filters.items():
        if value is not None:
            query = query.where(VERDICTS.c[name] == value)
    async with engine.connect() as connection:
        rows = await connection.execute(query)
        return [
            {**{c: getattr(r, c) for c in _VERDICT_COLUMNS}, "rule_versions": list(r.rule_versions or ()),
             "judged_at": _iso(r.judged_at), "missed_at": _iso(r.missed_at), "resolved_at": _iso(r.resolved_at),
             "escalated_at": _iso(r.escalated_at)}
            for r in rows
        ]
