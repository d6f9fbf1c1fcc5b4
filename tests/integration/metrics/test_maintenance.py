"""`rebuild` and `reconcile` as an operator runs them: the real CLI, on a real PostgreSQL."""

import asyncio
import os
import subprocess
import sys

import sqlalchemy as sa

from services.metrics.settings import MetricsSettings
from shared.db import create_engine
from tests.unit.metrics.factories import as_record, family_decision, household, province_map

from .feeding import feed, outbox_rows


async def cli(settings: MetricsSettings, command: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "METRICS_DATABASE_URL": settings.database_url,
        "METRICS_DATABASE_SCHEMA": settings.database_schema,
    }
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "services.metrics", command], env=env, capture_output=True, text=True
    )


async def execute(settings: MetricsSettings, statement: str) -> None:
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def test_reconcile_reports_every_difference_and_rebuild_repairs_and_publishes_it(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(MetricsSettings)
    records = [as_record(a) for a in province_map()] + [as_record(household(n, "29401-01")) for n in range(4)]
    records += [as_record(family_decision(n, 2024, n < 2)) for n in range(4)]
    await feed(settings, records, batch_size=50)

    clean = await cli(settings, "reconcile")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "reconcile [3/3]" in clean.stdout and "0 differences" in clean.stdout

    await execute(
        settings,
        "update cell set recognised = recognised + 1"
        " where area_code = '29401' and hierarchy = 'current' and title = 'learning_family'",
    )
    await execute(settings, "delete from place where entity_id = 'hh-3'")
    drifted = await cli(settings, "reconcile")
    assert drifted.returncode == 1
    assert "learning_family 2024 current commune 29401: recognised is 3, a recount gives 2" in drifted.stdout
    assert "place learning_family hh-3: kept differs" in drifted.stdout

    published_before = len(await outbox_rows(settings))
    repaired = await cli(settings, "rebuild")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "rebuild [4/4]" in repaired.stdout and "places rewritten for 1" in repaired.stdout
    assert len(await outbox_rows(settings)) > published_before  # the repaired cell is published again
    assert (await cli(settings, "reconcile")).returncode == 0
