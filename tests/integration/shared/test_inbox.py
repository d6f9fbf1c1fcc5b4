"""The processed-event inbox on a real PostgreSQL: each event is claimed once, even in a race."""

import asyncio
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from services.metrics.settings import MetricsSettings
from services.notifications.settings import NotificationsSettings
from services.recognition.settings import RecognitionSettings
from services.registry.settings import RegistrySettings
from shared.db import create_engine
from shared.migrations import alembic_config
from shared.unit_of_work import SqlInbox

A, B, C = ("/hoctap/x", "a"), ("/hoctap/x", "b"), ("/hoctap/y", "a")


async def test_only_events_never_claimed_come_back_fresh(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings)
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.begin()
            assert await SqlInbox(connection).claim([A, B]) == {A, B}
            await connection.commit()
        async with engine.connect() as connection:
            await connection.begin()
            assert await SqlInbox(connection).claim([B, C, A]) == {C}
            assert await SqlInbox(connection).claim([C]) == set()  # within its own transaction too
            await connection.rollback()
        async with engine.connect() as connection:
            await connection.begin()
            assert await SqlInbox(connection).claim([C]) == {C}  # the rollback released it
            await connection.commit()
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("first_ends", "second_gets"),
    [("commit", {C}), ("rollback", {B, C})],
    ids=["the first commits: exactly one gets it", "the first rolls back: the second gets it"],
)
async def test_two_transactions_racing_for_an_event_wait_for_each_other(make_settings, first_ends, second_gets) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(RegistrySettings)
    engine = create_engine(settings)
    try:
        async with engine.connect() as first, engine.connect() as second:
            await first.begin()
            await second.begin()
            assert await SqlInbox(first).claim([A, B]) == {A, B}
            racing = asyncio.create_task(SqlInbox(second).claim([B, C]))
            await asyncio.sleep(0.3)
            assert not racing.done()  # waits for the first transaction's outcome
            await getattr(first, first_ends)()
            assert await asyncio.wait_for(racing, 10) == second_gets
            await second.commit()
    finally:
        await engine.dispose()


async def test_a_redelivered_event_undoes_none_of_the_transactions_earlier_work(make_settings) -> None:  # type: ignore[no-untyped-def]
    """The fast claim fails on an event seen before; only its savepoint is rolled back."""
    settings = await make_settings(RegistrySettings)
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.begin()
            assert await SqlInbox(connection).claim([A]) == {A}
            await connection.commit()
        async with engine.connect() as connection:
            await connection.begin()
            assert await SqlInbox(connection).claim([C]) == {C}
            assert await SqlInbox(connection).claim([B, A, B]) == {B}  # A seen, B twice in a batch
            await connection.commit()
        async with engine.connect() as connection:
            marks = await connection.execute(
                sa.text("select source, event_id from processed_event order by 1, 2")
            )
            assert [tuple(r) for r in marks] == [A, B, C]
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "settings_class",
    [RegistrySettings, RecognitionSettings, MetricsSettings, NotificationsSettings],
    ids=lambda cls: cls.model_fields["service_name"].default,
)
async def test_every_service_indexes_its_marks_by_time_range_and_can_go_back(
    make_settings, settings_class
) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(settings_class, "brin")
    service = settings.service_name
    migrations = Path(__file__).resolve().parents[3] / "services" / service / "migrations"
    query = sa.text(
        "select am.amname from pg_index i join pg_class c on c.oid = i.indexrelid"
        " join pg_am am on am.oid = c.relam join pg_namespace n on n.oid = c.relnamespace"
        " where c.relname = 'processed_event_processed_at' and n.nspname = :schema"
    )

    async def method() -> str:
        engine = create_engine(settings)
        try:
            async with engine.connect() as connection:
                return str((await connection.execute(query, {"schema": settings.database_schema})).scalar_one())
        finally:
            await engine.dispose()

    assert await method() == "brin"
    # Back to the revision before the one that made the index BRIN (later migrations go too).
    brin = next((migrations / "versions").glob("*_inbox_brin.py"))
    before = re.search(r'^down_revision = "(\w+)"', brin.read_text(), re.MULTILINE).group(1)  # type: ignore[union-attr]
    await asyncio.to_thread(command.downgrade, alembic_config(settings, migrations), before)
    assert await method() == "btree"
