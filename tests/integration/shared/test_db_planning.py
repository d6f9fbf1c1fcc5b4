"""How the services' connections have PostgreSQL plan batch statements, on a real PostgreSQL."""

import sqlalchemy as sa

from services.registry.settings import RegistrySettings
from shared.db import any_of, create_engine

PROBE = sa.table("planning_probe", sa.column("id", sa.Text))


async def test_a_batch_lookup_is_planned_for_its_own_keys_every_time(make_settings) -> None:  # type: ignore[no-untyped-def]
    """asyncpg prepares each statement, and PostgreSQL switches a prepared statement to a generic
    plan after five executions. A generic plan cannot see how many keys `= any($1)` holds, nor
    hash them: on a table analysed while small it scans the table and compares every row with
    every key. In the pipeline that made recognition's household lookups and metrics' place
    deletes take 50–600 ms a batch. The services' connections plan every execution instead."""
    settings = await make_settings(RegistrySettings)
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("create table planning_probe (id text primary key)"))
            await connection.execute(sa.text("insert into planning_probe select 'k' || n from generate_series(1, 5) n"))
            await connection.execute(sa.text("analyze planning_probe"))  # statistics of a small table
            await connection.execute(sa.text("insert into planning_probe select 'k' || n from generate_series(6, 20000) n"))
            for start in range(0, 10_000, 1_000):
                keys = [f"k{n}" for n in range(start + 1, start + 1_001)]
                found = await connection.scalar(sa.select(sa.func.count()).select_from(PROBE).where(any_of(PROBE.c.id, keys)))
                assert found == 1_000
            plans = (await connection.execute(sa.text(
                "select generic_plans, custom_plans from pg_prepared_statements"
                " where statement like '%FROM planning_probe%' and statement not like '%pg_prepared_statements%'"
            ))).one()
            await connection.rollback()
    finally:
        await engine.dispose()
    assert plans.generic_plans == 0
    assert plans.custom_plans == 10
