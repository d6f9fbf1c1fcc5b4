"""PostgreSQL stores for figures, verdicts and notices, and the units of work that bind them to
one transaction (SQLAlchemy Core, bulk where it matters)."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.events.vocabulary import Level, Title
from shared.unit_of_work import SqlUnitOfWork

from ..domain.calendar import Phase
from ..domain.messages import Email
from ..domain.notices import Kind, Notice, Status
from ..domain.records import VerdictKey, VerdictRecord
from ..domain.verdicts import Figures, Verdict
from .db import ALERTS, INDICATORS, VERDICT_CHANGES, VERDICTS

_FIGURE_COLUMNS = ("area_name", "parent_code", "total", "registered", "recognised", "assessed", "data_status",
                   "data_status_reason", "rule_versions", "goal_percent", "projected_goal_year_percent", "revision")


def _figures(row: Any, prefix: str = "") -> Figures:
    get = (lambda name: getattr(row, prefix + name))
    return Figures(
        title=Title(get("title")), year=get("year"), level=Level(get("level")), area_code=get("area_code"),
        area_name=get("area_name"), total=get("total"), registered=get("registered"), recognised=get("recognised"),
        revision=get("revision"), parent_code=get("parent_code"), assessed=get("assessed"),
        data_status=get("data_status"), data_status_reason=get("data_status_reason"),
        rule_versions=tuple(get("rule_versions") or ()), goal_percent=get("goal_percent"),
        projected_goal_year_percent=get("projected_goal_year_percent"),
    )


class SqlIndicatorStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def save_latest(self, cells: Sequence[Figures], received_at: datetime) -> None:
        if not cells:
            return
        rows = [
            {"title": c.title.value, "year": c.year, "level": c.level.value, "area_code": c.area_code,
             "area_name": c.area_name, "parent_code": c.parent_code, "total": c.total, "registered": c.registered,
             "recognised": c.recognised, "assessed": c.assessed, "data_status": c.data_status,
             "data_status_reason": c.data_status_reason, "rule_versions": list(c.rule_versions),
             "goal_percent": c.goal_percent, "projected_goal_year_percent": c.projected_goal_year_percent,
             "revision": c.revision, "received_at": received_at}
            for c in cells
        ]
        statement = postgresql.insert(INDICATORS)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["title", "year", "level", "area_code"],
                set_={c: statement.excluded[c] for c in (*_FIGURE_COLUMNS, "received_at")},
                where=INDICATORS.c.revision < statement.excluded.revision,
            ),
            rows,
        )

    async def due(
        self, *, phases: Mapping[int, Phase], judged: Collection[tuple[Title, Level]], settled_before: datetime, fingerprint: str
    ) -> list[tuple[Figures, Figures | None]]:
        if not phases or not judged:
            return []
        current, previous = INDICATORS.alias("c"), INDICATORS.alias("p")
        phase = sa.case({year: p.value for year, p in phases.items()}, value=current.c.year)
        expected = (phase + ":" + sa.cast(current.c.revision, sa.Text) + ":"
                    + sa.cast(sa.func.coalesce(previous.c.revision, 0), sa.Text) + ":" + fingerprint)
        query = (
            sa.select(current, *(c.label("p_" + c.name) for c in previous.c))
            .select_from(current.outerjoin(previous, sa.and_(
                previous.c.title == current.c.title, previous.c.level == current.c.level,
                previous.c.area_code == current.c.area_code, previous.c.year == current.c.year - 1,
            )))
            .where(
                current.c.year.in_(list(phases)),
                sa.tuple_(current.c.title, current.c.level).in_([(t.value, lv.value) for t, lv in judged]),
                current.c.received_at <= settled_before,
                sa.or_(previous.c.received_at.is_(None), previous.c.received_at <= settled_before),
                current.c.evaluated.is_distinct_from(expected),
            )
            .order_by(current.c.year, current.c.title, current.c.level, current.c.area_code)
        )
        rows = (await self.connection.execute(query)).all()
        return [(_figures(r), _figures(r, "p_") if r.p_revision is not None else None) for r in rows]

    async def mark_evaluated(self, marks: Sequence[tuple[Figures, str]]) -> None:
        if not marks:
            return
        statement = INDICATORS.update().where(
            INDICATORS.c.title == sa.bindparam("k_title"), INDICATORS.c.year == sa.bindparam("k_year"),
            INDICATORS.c.level == sa.bindparam("k_level"), INDICATORS.c.area_code == sa.bindparam("k_area"),
        ).values(evaluated=sa.bindparam("k_mark"))
        await self.connection.execute(statement, [
            {"k_title": f.title.value, "k_year": f.year, "k_level": f.level.value, "k_area": f.area_code, "k_mark": mark}
            for f, mark in marks
        ])

    async def children(self, title: Title, year: int, parent_code: str) -> list[Figures]:
        rows = await self.connection.execute(sa.select(INDICATORS).where(
            INDICATORS.c.title == title.value, INDICATORS.c.year == year, INDICATORS.c.parent_code == parent_code
        ))
        return [_figures(r) for r in rows]

    async def unsettled_children(self, title: Title, year: int, parent_code: str, level: Level, settled_before: datetime) -> int:
        return int(await self.connection.scalar(sa.select(sa.func.count()).select_from(INDICATORS).where(
            INDICATORS.c.title == title.value, INDICATORS.c.year.in_([year, year - 1]),
            INDICATORS.c.parent_code == parent_code, INDICATORS.c.level == level.value,
            INDICATORS.c.received_at > settled_before,
        )) or 0)

    async def area(self, area_code: str) -> tuple[str | None, Level, str | None] | None:
        row = (await self.connection.execute(
            sa.select(INDICATORS.c.area_name, INDICATORS.c.level, INDICATORS.c.parent_code)
            .where(INDICATORS.c.area_code == area_code)
            .order_by(INDICATORS.c.year.desc(), INDICATORS.c.area_name.is_(None))
            .limit(1)
        )).first()
        return (row.area_name, Level(row.level), row.parent_code) if row else None


_RECORD_TIMES = ("judged_at", "missed_at", "resolved_at", "escalated_at")


def _record(row: Any) -> VerdictRecord:
    values = dict(row._mapping)
    return VerdictRecord(
        **{**values, "title": Title(row.title), "level": Level(row.level), "verdict": Verdict(row.verdict),
           "phase": Phase(row.phase), "rule_versions": tuple(row.rule_versions or ())}
    )


class SqlVerdictStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def get(self, keys: Collection[VerdictKey]) -> dict[VerdictKey, VerdictRecord]:
        if not keys:
            return {}
        rows = await self.connection.execute(sa.select(VERDICTS).where(
            sa.tuple_(VERDICTS.c.area_code, VERDICTS.c.title, VERDICTS.c.year).in_([(a, t.value, y) for a, t, y in keys])
        ))
        return {(r.area_code, Title(r.title), r.year): _record(r) for r in rows}

    async def save(self, records: Sequence[tuple[VerdictRecord, bool]]) -> None:
        if not records:
            return
        rows = []
        for record, _ in records:
            values = {name: getattr(record, name) for name in VerdictRecord.__dataclass_fields__}
            values.update(title=record.title.value, level=record.level.value, verdict=record.verdict.value,
                          phase=record.phase.value, rule_versions=list(record.rule_versions))
            rows.append(values)
        statement = postgresql.insert(VERDICTS)
        keys = {"area_code", "title", "year"}
        await self.connection.execute(statement.on_conflict_do_update(
            index_elements=sorted(keys), set_={k: statement.excluded[k] for k in rows[0] if k not in keys}
        ), rows)
        changes = [
            {"area_code": r.area_code, "title": r.title.value, "year": r.year, "verdict": r.verdict.value, "phase": r.phase.value,
             "judged_at": r.judged_at, "percent": r.percent, "required_percent": r.required_percent, "reason": r.reason}
            for r, changed in records if changed
        ]
        if changes:
            await self.connection.execute(VERDICT_CHANGES.insert(), changes)

    async def escalation_candidates(self, missed_before: datetime) -> list[VerdictRecord]:
        rows = await self.connection.execute(sa.select(VERDICTS).where(
            VERDICTS.c.verdict == Verdict.MISSED.value, VERDICTS.c.resolved_at.is_(None),
            VERDICTS.c.escalated_at.is_(None), VERDICTS.c.missed_at <= missed_before,
        ).order_by(VERDICTS.c.area_code, VERDICTS.c.title, VERDICTS.c.year))
        return [_record(r) for r in rows]


def _notice(row: Any) -> Notice:
    return Notice(
        key=row.alert_key, kind=Kind(row.kind), area_code=row.area_code, level=Level(row.level), title=Title(row.title),
        year=row.year, verdict=Verdict(row.verdict), parent_code=row.parent_code, agency_id=row.agency_id,
        status=Status(row.status), created_at=row.created_at, digest_key=row.digest_key,
    )


class SqlNoticeStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def add(self, notice: Notice, email: Email | None) -> bool:
        values: dict[str, Any] = {
            "alert_key": notice.key, "kind": notice.kind.value, "title": notice.title.value, "year": notice.year,
            "level": notice.level.value, "area_code": notice.area_code, "parent_code": notice.parent_code,
            "verdict": notice.verdict.value, "agency_id": notice.agency_id, "status": notice.status.value,
            "digest_key": notice.digest_key, "recipients": list(email.recipients) if email else [],
            "message_id": email.message_id if email else "", "refers_to": list(email.references) if email else [],
            "subject": email.subject if email else "", "body_text": email.text if email else "",
            "body_html": email.html if email else "", "attempts": 0, "next_attempt_at": notice.created_at,
            "created_at": notice.created_at,
        }
        inserted = await self.connection.execute(
            postgresql.insert(ALERTS).values(**values).on_conflict_do_nothing(index_elements=["alert_key"]).returning(ALERTS.c.id)
        )
        return inserted.first() is not None

    async def undigested(self) -> list[Notice]:
        rows = await self.connection.execute(sa.select(ALERTS).where(
            ALERTS.c.kind == Kind.AREA.value, ALERTS.c.digest_key.is_(None), ALERTS.c.parent_code.is_not(None)
        ).order_by(ALERTS.c.id))
        return [_notice(r) for r in rows]

    async def attach(self, keys: Sequence[str], digest_key: str) -> None:
        await self.connection.execute(ALERTS.update().where(ALERTS.c.alert_key.in_(list(keys))).values(digest_key=digest_key))

    async def digest_count(self, parent_code: str, title: Title, year: int, verdict: Verdict) -> int:
        return int(await self.connection.scalar(sa.select(sa.func.count()).select_from(ALERTS).where(
            ALERTS.c.kind == Kind.DIGEST.value, ALERTS.c.area_code == parent_code, ALERTS.c.title == title.value,
            ALERTS.c.year == year, ALERTS.c.verdict == verdict.value,
        )) or 0)


class NotificationsSqlUnitOfWork(SqlUnitOfWork):
    """The consumer's unit of work: figures, with the inbox and outbox of the shared plumbing."""

    def _bind(self, connection: AsyncConnection) -> None:
        self.indicators = SqlIndicatorStore(connection)


class EvaluationSqlUnitOfWork(NotificationsSqlUnitOfWork):
    """The evaluator's unit of work: one transaction for a whole pass."""

    def __init__(self, *args: Any, schema: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock_key = zlib.crc32(f"hoctap-notifications-evaluate-{schema}".encode())

    def _bind(self, connection: AsyncConnection) -> None:
        super()._bind(connection)
        self.verdicts = SqlVerdictStore(connection)
        self.notices = SqlNoticeStore(connection)

    async def try_lock(self) -> bool:
        return bool(await self.connection.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(self.lock_key))))
