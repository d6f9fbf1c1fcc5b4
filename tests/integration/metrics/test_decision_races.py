"""A decision that waits for a fact row another transaction is changing still counts, exactly once."""

import asyncio

import sqlalchemy as sa

from services.metrics.domain.cells import CellKey, Hierarchy
from services.metrics.settings import MetricsSettings
from shared.db import create_engine
from shared.events.vocabulary import Level, Title
from tests.unit.metrics.factories import as_record, family_decision, household, province_map

from .feeding import assert_reconciled, cells, feed


async def wait_until_blocked(engine, application: str) -> None:  # type: ignore[no-untyped-def]
    """Until some other session of this database waits on a row lock. Each look is its own
    transaction: PostgreSQL keeps one snapshot of pg_stat_activity per transaction, so looking
    again in the same one never sees a wait that began after the first look."""
    async with engine.connect() as connection:
        for _ in range(400):
            waiting = await connection.scalar(
                sa.text(
                    "select count(*) from pg_stat_activity where datname = current_database()"
                    " and wait_event_type = 'Lock' and pid <> pg_backend_pid()"
                )
            )
            await connection.rollback()
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"the {application} never waited for the row lock")


async def test_a_decision_blocked_by_a_concurrent_change_of_its_row_is_counted(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(MetricsSettings)
    await feed(
        settings,
        [
            *(as_record(a) for a in province_map()),
            *(as_record(household(n, "29398-01")) for n in range(3)),
            as_record(family_decision(0, 2024, True)),  # opens 2024: a fact row per household
        ],
        batch_size=50,
    )
    engine = create_engine(settings)
    try:
        async with engine.connect() as other:
            # Another transaction (a registry snapshot, say) holds hh-1's 2024 row, changed.
            await other.execute(
                sa.text(
                    "update fact set registration_version = registration_version"
                    " where title = 'learning_family' and entity_id = 'hh-1' and year = 2024"
                )
            )
            deciding = asyncio.create_task(
                feed(settings, [as_record(family_decision(1, 2024, True))], batch_size=50)
            )
            await wait_until_blocked(engine, "decision")
            await other.commit()  # the decision's statement now locks a version its snapshot cannot see
            await asyncio.wait_for(deciding, timeout=30)
        async with engine.connect() as connection:
            decided = await connection.scalar(
                sa.text(
                    "select decided and granted from fact"
                    " where title = 'learning_family' and entity_id = 'hh-1' and year = 2024"
                )
            )
    finally:
        await engine.dispose()
    assert decided is True
    hamlet = (await cells(settings))[
        CellKey(Title.LEARNING_FAMILY, 2024, Hierarchy.CURRENT, Level.HAMLET, "29398-01")
    ]
    assert (hamlet.counts.total, hamlet.counts.recognised, hamlet.counts.assessed) == (3, 2, 2)
    await assert_reconciled(settings)
