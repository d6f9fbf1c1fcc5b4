"""Registry tables (SQLModel) and the store that loads and saves entities in bulk."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import registry as orm_registry
from sqlmodel import Field, SQLModel

from shared.db import plumbing_tables
from shared.outbox import copy_rows
from shared.events.vocabulary import Level, Title
from shared.unit_of_work import SqlUnitOfWork

from ..domain.model import AdministrativeUnit, Citizen, Clan, Evidence, Household, Period, Registration, Unit
from ..domain.world import World

JSONB = postgresql.JSONB
TIMESTAMP = sa.DateTime(timezone=True)
TEXT_ARRAY = postgresql.ARRAY(sa.Text)
INT_ARRAY = postgresql.ARRAY(sa.Integer)


class RegistryTable(SQLModel, registry=orm_registry()):
    """Base of the registry's tables (their own metadata: the registry owns its schema)."""


class AdministrativeUnitRow(RegistryTable, table=True):
    __tablename__ = "administrative_unit"

    code: str = Field(primary_key=True)
    level: str
    name: str
    kind: str | None = None
    parent_code: str | None = Field(default=None, index=True)
    parent_history: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    province_code: str
    valid_from: date
    valid_to: date | None = None
    successor_code: str | None = None
    version: int
    last_fact_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    updated_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})


class HouseholdRow(RegistryTable, table=True):
    __tablename__ = "household"

    household_id: str = Field(primary_key=True)
    hamlet_code: str = Field(index=True)
    commune_code: str
    province_code: str
    hamlet_history: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    registered_on: date
    removed_on: date | None = None
    clan_id: str | None = None
    head_citizen_id: str | None = None
    version: int
    last_fact_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    updated_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})


class CitizenRow(RegistryTable, table=True):
    __tablename__ = "citizen"

    citizen_id: str = Field(primary_key=True)
    birth_year: int
    household_id: str | None = Field(default=None, index=True)
    unit_ids: list[str] = Field(default_factory=list, sa_type=postgresql.ARRAY(sa.Text))
    national_id_hmac: str | None = None
    removed_on: date | None = None
    version: int
    last_fact_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    updated_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})


class ClanRow(RegistryTable, table=True):
    __tablename__ = "clan"

    clan_id: str = Field(primary_key=True)
    name: str
    home_commune_code: str = Field(index=True)
    home_hamlet_code: str | None = None
    commune_history: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    province_code: str
    registered_on: date
    version: int
    last_fact_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    updated_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})


class LearningUnitRow(RegistryTable, table=True):
    __tablename__ = "learning_unit"

    unit_id: str = Field(primary_key=True)
    name: str
    kind: str
    commune_code: str = Field(index=True)
    commune_history: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    province_code: str
    member_count: int
    registered_on: date
    version: int
    last_fact_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    updated_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})


class RegistrationRow(RegistryTable, table=True):
    __tablename__ = "registration"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    registered: bool
    version: int
    last_fact_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)


class EvidenceRow(RegistryTable, table=True):
    __tablename__ = "evidence"

    title: str = Field(primary_key=True)
    entity_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    facts: dict[str, Any] = Field(sa_type=JSONB)
    version: int
    last_fact_at: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    updated_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})


class ParkedFactRow(RegistryTable, table=True):
    """A fact waiting for an entity it refers to (see handlers/parking.py)."""

    __tablename__ = "parked_fact"

    id: int | None = Field(default=None, primary_key=True)
    entity_key: str = Field(index=True)
    event_type: str
    source: str
    event_id: str
    fact_time: datetime = Field(sa_type=TIMESTAMP)
    data: dict[str, Any] = Field(sa_type=JSONB)
    national_id_hmac: str | None = None
    actor: str
    waiting_for: str
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    record_key: bytes | None = Field(default=None, sa_type=postgresql.BYTEA)
    record_value: bytes | None = Field(default=None, sa_type=postgresql.BYTEA)
    header_names: list[str] = Field(default_factory=list, sa_type=postgresql.ARRAY(sa.Text))
    header_values: list[bytes] = Field(default_factory=list, sa_type=postgresql.ARRAY(postgresql.BYTEA))
    parked_at: datetime = Field(sa_type=TIMESTAMP)
    attempts: int = 0


class AuditRow(RegistryTable, table=True):
    """Who changed what, when and from which source: one row per fact, whatever its outcome."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    recorded_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})
    fact_time: datetime | None = Field(default=None, sa_type=TIMESTAMP)
    actor: str
    source: str
    event_id: str
    event_type: str
    entity_key: str
    outcome: str
    detail: str | None = None


class RepublishJobRow(RegistryTable, table=True):
    __tablename__ = "republish_job"

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    code: str
    created_at: datetime = Field(sa_type=TIMESTAMP, sa_column_kwargs={"server_default": sa.func.now()})


METADATA = RegistryTable.metadata
OUTBOX, PROCESSED = plumbing_tables(METADATA)
UNITS: sa.Table = AdministrativeUnitRow.__table__  # type: ignore[attr-defined]
HOUSEHOLDS: sa.Table = HouseholdRow.__table__  # type: ignore[attr-defined]
CITIZENS: sa.Table = CitizenRow.__table__  # type: ignore[attr-defined]
CLANS: sa.Table = ClanRow.__table__  # type: ignore[attr-defined]
LEARNING_UNITS: sa.Table = LearningUnitRow.__table__  # type: ignore[attr-defined]
REGISTRATIONS: sa.Table = RegistrationRow.__table__  # type: ignore[attr-defined]
EVIDENCE: sa.Table = EvidenceRow.__table__  # type: ignore[attr-defined]
PARKED: sa.Table = ParkedFactRow.__table__  # type: ignore[attr-defined]
AUDIT: sa.Table = AuditRow.__table__  # type: ignore[attr-defined]
JOBS: sa.Table = RepublishJobRow.__table__  # type: ignore[attr-defined]


def periods_to_json(periods: Iterable[Period]) -> list[dict[str, Any]]:
    return [
        {"code": p.code, "valid_from": p.valid_from.isoformat(), "valid_to": p.valid_to.isoformat() if p.valid_to else None}
        for p in periods
    ]


def periods_from_json(items: Iterable[dict[str, Any]]) -> tuple[Period, ...]:
    return tuple(
        Period(i["code"], date.fromisoformat(i["valid_from"]), date.fromisoformat(i["valid_to"]) if i.get("valid_to") else None)
        for i in items
    )


@dataclass(frozen=True)
class Mapping:
    """How one entity kind maps to its table."""

    table: sa.Table
    keys: tuple[str, ...]
    to_row: Callable[[Any], dict[str, Any]]
    from_row: Callable[[Any], Any]


MAPPINGS: dict[str, Mapping] = {
    "unit": Mapping(
        UNITS,
        ("code",),
        lambda u: {
            "code": u.code, "level": u.level.value, "name": u.name, "kind": u.kind, "parent_code": u.parent_code,
            "parent_history": periods_to_json(u.parent_history), "province_code": u.province_code,
            "valid_from": u.valid_from, "valid_to": u.valid_to, "successor_code": u.successor_code,
            "version": u.version, "last_fact_at": u.last_fact_at,
        },
        lambda r: AdministrativeUnit(
            r.code, Level(r.level), r.name, r.kind, r.parent_code, periods_from_json(r.parent_history), r.province_code,
            r.valid_from, r.valid_to, r.successor_code, r.version, r.last_fact_at,
        ),
    ),
    "household": Mapping(
        HOUSEHOLDS,
        ("household_id",),
        lambda h: {
            "household_id": h.household_id, "hamlet_code": h.hamlet_code, "commune_code": h.commune_code,
            "province_code": h.province_code, "hamlet_history": periods_to_json(h.hamlet_history),
            "registered_on": h.registered_on, "removed_on": h.removed_on, "clan_id": h.clan_id,
            "head_citizen_id": h.head_citizen_id, "version": h.version, "last_fact_at": h.last_fact_at,
        },
        lambda r: Household(
            r.household_id, r.hamlet_code, r.commune_code, r.province_code, periods_from_json(r.hamlet_history),
            r.registered_on, r.removed_on, r.clan_id, r.head_citizen_id, r.version, r.last_fact_at,
        ),
    ),
    "citizen": Mapping(
        CITIZENS,
        ("citizen_id",),
        lambda c: {
            "citizen_id": c.citizen_id, "birth_year": c.birth_year, "household_id": c.household_id,
            "unit_ids": list(c.unit_ids), "national_id_hmac": c.national_id_hmac, "removed_on": c.removed_on,
            "version": c.version, "last_fact_at": c.last_fact_at,
        },
        lambda r: Citizen(
            r.citizen_id, r.birth_year, r.household_id, tuple(r.unit_ids or ()), r.national_id_hmac, r.removed_on,
            r.version, r.last_fact_at,
        ),
    ),
    "clan": Mapping(
        CLANS,
        ("clan_id",),
        lambda c: {
            "clan_id": c.clan_id, "name": c.name, "home_commune_code": c.home_commune_code,
            "home_hamlet_code": c.home_hamlet_code, "commune_history": periods_to_json(c.commune_history),
            "province_code": c.province_code, "registered_on": c.registered_on, "version": c.version,
            "last_fact_at": c.last_fact_at,
        },
        lambda r: Clan(
            r.clan_id, r.name, r.home_commune_code, r.home_hamlet_code, periods_from_json(r.commune_history),
            r.province_code, r.registered_on, r.version, r.last_fact_at,
        ),
    ),
    "learning_unit": Mapping(
        LEARNING_UNITS,
        ("unit_id",),
        lambda u: {
            "unit_id": u.unit_id, "name": u.name, "kind": u.kind, "commune_code": u.commune_code,
            "commune_history": periods_to_json(u.commune_history), "province_code": u.province_code,
            "member_count": u.member_count, "registered_on": u.registered_on, "version": u.version,
            "last_fact_at": u.last_fact_at,
        },
        lambda r: Unit(
            r.unit_id, r.name, r.kind, r.commune_code, periods_from_json(r.commune_history), r.province_code,
            r.member_count, r.registered_on, r.version, r.last_fact_at,
        ),
    ),
    "registration": Mapping(
        REGISTRATIONS,
        ("title", "entity_id", "year"),
        lambda g: {
            "title": g.title.value, "entity_id": g.entity_id, "year": g.year, "registered": g.registered,
            "version": g.version, "last_fact_at": g.last_fact_at,
        },
        lambda r: Registration(Title(r.title), r.entity_id, r.year, r.registered, r.version, r.last_fact_at),
    ),
    "evidence": Mapping(
        EVIDENCE,
        ("title", "entity_id", "year"),
        lambda e: {
            "title": e.title.value, "entity_id": e.entity_id, "year": e.year, "facts": e.facts,
            "version": e.version, "last_fact_at": e.last_fact_at,
        },
        lambda r: Evidence(Title(r.title), r.entity_id, r.year, r.facts, r.version, r.last_fact_at),
    ),
}

WORLD_FIELDS = {
    "unit": "units",
    "household": "households",
    "citizen": "citizens",
    "clan": "clans",
    "learning_unit": "learning_units",
    "registration": "registrations",
    "evidence": "evidence",
}


def world_key(kind: str, row_key: tuple[Any, ...]) -> Any:
    if kind in ("registration", "evidence"):
        return (Title(row_key[0]), row_key[1], row_key[2])
    return row_key[0]


class SqlRegistryStore:
    """Loads entities into a World and saves what changed, on one transaction's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def load(self, world: World, kind: str, keys: Iterable[Any]) -> None:
        mapping = MAPPINGS[kind]
        target: dict[Any, Any] = getattr(world, WORLD_FIELDS[kind])
        wanted = [k for k in set(keys) if k not in target]
        if not wanted:
            return
        # `= any(array)` and a join on unnest compile once, whatever the number of keys (an IN list
        # is recompiled for every length, which dominated the profile).
        if len(mapping.keys) == 1:
            query = sa.select(mapping.table).where(mapping.table.c[mapping.keys[0]] == sa.func.any(sa.bindparam("keys", type_=TEXT_ARRAY)))
            parameters: dict[str, Any] = {"keys": wanted}
        else:
            wanted_keys = sa.func.unnest(
                sa.bindparam("titles", type_=TEXT_ARRAY), sa.bindparam("ids", type_=TEXT_ARRAY), sa.bindparam("years", type_=INT_ARRAY)
            ).table_valued("title", "entity_id", "year").render_derived(name="wanted", with_types=False)
            query = sa.select(mapping.table).join(
                wanted_keys,
                sa.and_(*(mapping.table.c[k] == wanted_keys.c[k] for k in mapping.keys)),
            )
            parameters = {"titles": [t.value for t, _, _ in wanted], "ids": [e for _, e, _ in wanted], "years": [y for _, _, y in wanted]}
        for row in await self.connection.execute(query, parameters):
            entity = mapping.from_row(row)
            target[world_key(kind, tuple(getattr(row, k) for k in mapping.keys))] = entity

    async def load_with_ancestors(self, world: World, codes: Iterable[str]) -> None:
        """Units and every unit above them, in one recursive query."""
        wanted = [c for c in set(codes) if c not in world.units]
        if not wanted:
            return
        up = sa.select(UNITS).where(UNITS.c.code == sa.func.any(sa.bindparam("codes", type_=TEXT_ARRAY))).cte("up", recursive=True)
        up = up.union(sa.select(UNITS).join(up, UNITS.c.code == up.c.parent_code))
        for row in await self.connection.execute(sa.select(up), {"codes": wanted}):
            world.units.setdefault(row.code, MAPPINGS["unit"].from_row(row))

    async def load_children(self, world: World, parent_codes: Iterable[str]) -> None:
        codes = [c for c in set(parent_codes) if c not in world.children]
        if not codes:
            return
        for code in codes:
            world.children[code] = []
        rows = await self.connection.execute(sa.select(UNITS).where(UNITS.c.parent_code.in_(codes)))
        for row in rows:
            unit = MAPPINGS["unit"].from_row(row)
            world.units.setdefault(unit.code, unit)
            world.children[row.parent_code].append(unit.code)

    async def save(self, kind: str, entities: Sequence[Any]) -> None:
        if not entities:
            return
        mapping = MAPPINGS[kind]
        rows = [mapping.to_row(e) for e in entities]
        statement = postgresql.insert(mapping.table)
        updates = {name: statement.excluded[name] for name in rows[0] if name not in mapping.keys}
        if "updated_at" in mapping.table.c:
            updates["updated_at"] = sa.func.now()
        await self.connection.execute(
            statement.on_conflict_do_update(index_elements=list(mapping.keys), set_=updates), rows
        )

    async def audit(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append audit rows (COPY: one row per fact makes this the registry's largest write)."""
        if entries:
            columns = tuple(entries[0])
            await copy_rows(self.connection, AUDIT.name, columns, [tuple(e[c] for c in columns) for e in entries])

    async def add_jobs(self, jobs: Iterable[tuple[str, str]]) -> None:
        rows = [{"kind": kind, "code": code} for kind, code in sorted(set(jobs))]
        if rows:
            await self.connection.execute(JOBS.insert(), rows)

    async def park(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append parked facts (COPY: a burst of facts that arrived before their area parks by the
        thousand, and the ORM insert of arrays and JSON cost more than applying them)."""
        if rows:
            columns = tuple(rows[0])
            await copy_rows(self.connection, PARKED.name, columns, [
                tuple(json.dumps(row[c], ensure_ascii=False) if c == "data" else row[c] for c in columns) for row in rows
            ])


class RegistrySqlUnitOfWork(SqlUnitOfWork):
    def _bind(self, connection: AsyncConnection) -> None:
        self.store = SqlRegistryStore(connection)
