"""The processed-event inbox on a real PostgreSQL: each event is claimed once, even in a race."""

import asyncio

from services.registry.settings import RegistrySettings
from shared.db import create_engine
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


async def test_of_two_transactions_racing_for_an_event_exactly_one_gets_it(make_settings) -> None:  # type: ignore[no-untyped-def]
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
            await first.commit()
            assert await asyncio.wait_for(racing, 10) == {C}
            await second.commit()
    finally:
        await engine.dispose()
