"""What recognition stores for a decision is what it publishes, byte for byte in meaning."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.recognition.adapters.db import DECISIONS, OUTBOX
from services.recognition.adapters.rule_files import load_rule_book
from services.recognition.adapters.store import SqlRecognitionStore
from services.recognition.domain.decisions import StoredDecision, content_digest
from services.recognition.settings import RecognitionSettings
from shared.db import create_engine
from shared.events.catalogue import RECOGNITION_DECISIONS
from shared.events.recognition import TitleDecided
from shared.events.vocabulary import Title
from tests.unit.recognition.factories import province_history

from .helpers import feed, records


@asynccontextmanager
async def decided_province(make_settings) -> AsyncIterator[AsyncConnection]:  # type: ignore[no-untyped-def]
    """A connection to recognition's tables once it has decided the test province."""
    settings = await make_settings(RecognitionSettings)
    await feed(settings, load_rule_book(), [records(province_history())])
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def test_every_stored_decision_is_the_last_one_published_for_its_series(make_settings) -> None:  # type: ignore[no-untyped-def]
    async with decided_province(make_settings) as connection:
        stored = (await connection.execute(sa.select(DECISIONS))).all()
        published = (await connection.execute(
            sa.select(OUTBOX.c.value).where(OUTBOX.c.topic == RECOGNITION_DECISIONS.name).order_by(OUTBOX.c.id)
        )).all()
    last: dict[tuple[str, str, int, str, str], TitleDecided] = {}
    for row in published:
        decision = TitleDecided.model_validate_json(row.value)
        last[(decision.title.value, decision.entity_id, decision.year, decision.rule_set_id, decision.rule_version)] = decision
    assert len(stored) > 10 and len(last) == len(stored)
    for row in stored:
        body = TitleDecided.model_validate(row.body)
        assert last[(row.title, row.entity_id, row.year, row.rule_set_id, row.rule_version)] == body
        assert (body.revision, body.granted, body.total_points) == (row.revision, row.granted, row.total_points)
        assert row.digest == content_digest(body)


async def test_a_decision_stored_without_a_digest_reads_back_with_the_one_it_would_have(make_settings) -> None:  # type: ignore[no-untyped-def]
    """Decisions stored before migration 0005 have no digest: the store computes it from the body,
    so the next evaluation that says the same publishes nothing."""
    async with decided_province(make_settings) as connection:
        stored = (await connection.execute(sa.select(DECISIONS))).all()
        await connection.execute(sa.update(DECISIONS).values(digest=None))
        store = SqlRecognitionStore(connection)
        read = {}
        for title in {row.title for row in stored}:
            keys = [(r.entity_id, r.year, r.rule_set_id, r.rule_version) for r in stored if r.title == title]
            read.update({(title, *key): state for key, state in (await store.decisions(Title(title), keys)).items()})
        await connection.rollback()
    assert len(read) == len(stored) > 10
    for row in stored:
        assert read[(row.title, row.entity_id, row.year)] == StoredDecision(row.revision, row.granted, row.digest)
