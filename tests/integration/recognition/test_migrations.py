"""Revision 0002 on a database that already has 0001 data: evidence moves, decisions gain series."""

import asyncio
from pathlib import Path

import sqlalchemy as sa

from services.recognition.settings import RecognitionSettings
from shared.db import create_engine
from shared.migrations import upgrade

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "recognition" / "migrations"
BODY = (
    '{"title": "learning_family", "entity_kind": "household", "entity_id": "hh-1", "year": 2024, "granted": true,'
    ' "total_points": 90, "max_points": 100, "threshold": 80, "criteria": [], "unmet": [], "rule_set_id": "learning-family",'
    ' "rule_version": "2016.1", "rule_effective_from": "2016-01-01", "revision": 3}'
)


async def run(settings: RecognitionSettings, *statements: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            result = None
            for statement in statements:
                result = await connection.execute(sa.text(statement))
            return [tuple(r) for r in result] if result is not None and result.returns_rows else []
    finally:
        await engine.dispose()


async def test_upgrading_keeps_family_evidence_and_decisions_and_downgrading_restores_them(
    infrastructure, schema_suffix
) -> None:  # type: ignore[no-untyped-def]
    settings = RecognitionSettings(
        database_url=infrastructure.database_url, database_schema=f"recognition_{schema_suffix}m"
    )
    await asyncio.to_thread(upgrade, settings, MIGRATIONS, "0001")
    await run(
        settings,
        """insert into family_evidence values ('hh-1', 2024, '{"adults": 2}', 4)""",
        f"insert into decision (title, entity_id, year, granted, total_points, rule_set_id, rule_version, revision, body) "
        f"values ('learning_family', 'hh-1', 2024, true, 90, 'learning-family', '2016.1', 3, '{BODY}')",
    )
    await asyncio.to_thread(upgrade, settings, MIGRATIONS, "head")
    assert await run(
        settings, "select title, entity_id, year, facts ->> 'adults', version from evidence"
    ) == [("learning_family", "hh-1", 2024, "2", 4)]
    assert await run(
        settings,
        "select rule_version, revision, assessable, cast(rule_effective_from as text) from decision",
    ) == [("2016.1", 3, True, "2016-01-01")]
    from alembic import command

    from shared.migrations import alembic_config

    await asyncio.to_thread(command.downgrade, alembic_config(settings, MIGRATIONS), "0001")
    assert await run(settings, "select household_id, version from family_evidence") == [("hh-1", 4)]
    assert await run(settings, "select entity_id, revision from decision") == [("hh-1", 3)]


async def test_evidence_and_decisions_are_indexed_by_their_keys_alone(infrastructure, schema_suffix) -> None:  # type: ignore[no-untyped-def]
    """A (title, year) index let the planner answer key lookups for a year it had no statistics
    for by scanning the whole year per key (migration 0003); and downgrading brings it back."""
    schema = f"recognition_{schema_suffix}i"
    settings = RecognitionSettings(database_url=infrastructure.database_url, database_schema=schema)
    await asyncio.to_thread(upgrade, settings, MIGRATIONS, "head")
    query = (f"select tablename, indexname from pg_indexes where schemaname = '{schema}'"
             " and tablename in ('evidence', 'decision') order by 1, 2")
    assert await run(settings, query) == [("decision", "decision_pkey"), ("evidence", "evidence_pkey")]
    from alembic import command

    from shared.migrations import alembic_config

    await asyncio.to_thread(command.downgrade, alembic_config(settings, MIGRATIONS), "0002")
    assert await run(settings, query) == [("decision", "decision_pkey"), ("decision", "decision_series"),
                                          ("evidence", "evidence_pkey"), ("evidence", "evidence_year")]
