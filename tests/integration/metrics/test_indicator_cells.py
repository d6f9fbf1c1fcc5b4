"""Metrics on a real PostgreSQL: the final cells depend only on the facts, never on their order."""

import random


from services.metrics.adapters.recount import stored_counts
from services.metrics.domain.cells import Counts, Hierarchy
from services.metrics.settings import MetricsSettings
from shared.db import create_engine
from shared.events.vocabulary import Level, Title
from tests.unit.metrics.factories import as_record, family_decision, household, province_map

from ..inbox_helpers import marked_events
from .feeding import assert_reconciled, feed, outbox_rows

HAMLETS = ("29398-01", "29398-02", "29401-01")


def history() -> list:  # type: ignore[type-arg]
    """Twelve households over three hamlets, two years, with a move, a removal and a corrected decision."""
    records = [as_record(a, seed=f"a{a.code}") for a in province_map()]
    for n in range(12):
        records.append(
            as_record(
                household(n, HAMLETS[n % 3], registered=f"{2020 + n % 3}-01-01"), seed=f"h{n}"
            )
        )
        for year in (2023, 2024):
            records.append(
                as_record(family_decision(n, year, (n + year) % 3 != 0), seed=f"d{n}{year}")
            )
    records.append(
        as_record(household(0, "29401-01", registered="2020-01-01", version=2), seed="move")
    )
    records.append(
        as_record(
            household(5, HAMLETS[2], registered="2022-01-01", removed="2024-03-01", version=2),
            seed="remove",
        )
    )
    records.append(as_record(family_decision(1, 2024, False, revision=2), seed="correct"))
    return records


async def counts_of(settings: MetricsSettings) -> dict:  # type: ignore[type-arg]
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            return await stored_counts(
                connection, hierarchies=[Hierarchy.CURRENT.value, Hierarchy.RECORDED.value]
            )
    finally:
        await engine.dispose()


async def test_any_order_and_any_redelivery_give_the_same_cells_as_a_recount(make_settings) -> None:  # type: ignore[no-untyped-def]
    first = await make_settings(MetricsSettings, variant="a")
    await feed(first, history(), batch_size=7)
    await assert_reconciled(first)
    shuffled = history()
    random.Random(42).shuffle(shuffled)
    redelivered = shuffled + shuffled[::3]
    second = await make_settings(MetricsSettings, variant="b")
    await feed(second, redelivered, batch_size=5)
    await assert_reconciled(second)
    assert await counts_of(second) == await counts_of(first)


async def test_the_cells_count_moves_removals_and_corrections(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(MetricsSettings)
    await feed(settings, history(), batch_size=50)
    await assert_reconciled(settings)
    engine = create_engine(settings)
    async with engine.connect() as connection:
        cells = await stored_counts(connection)
    await engine.dispose()
    family = Title.LEARNING_FAMILY
    # hh-0 moved to 29401-01 (a move is kept for every year: the snapshot has no history);
    # hh-5 was removed in 2024 and counts only in 2023.
    assert cells[(family, 2024, Level.HAMLET, "29401-01")].total == 4 + 1 - 1
    assert cells[(family, 2023, Level.PROVINCE, "84")].total == 12
    assert cells[(family, 2024, Level.PROVINCE, "84")].total == 11
    province_2024 = cells[(family, 2024, Level.PROVINCE, "84")]
    granted_2024 = sum(1 for n in range(12) if n != 5 and (n + 2024) % 3 != 0 and n != 1)
    assert province_2024 == Counts(11, 11, granted_2024, assessed=11)


async def test_redelivered_events_unmarked_in_the_inbox_change_no_cell_and_publish_nothing(make_settings) -> None:  # type: ignore[no-untyped-def]
    """The metrics consumers are `idempotent`: they rely on each event replacing only an older
    state, not on the inbox. A whole redelivery, newest first, must then be a no-op."""
    settings = await make_settings(MetricsSettings)
    records = history()
    await feed(settings, records, batch_size=10)
    before, published = await counts_of(settings), len(await outbox_rows(settings))
    await feed(settings, records[::-1], batch_size=4)
    assert await counts_of(settings) == before
    assert len(await outbox_rows(settings)) == published, "no indicator event for nothing changed"
    assert await marked_events(settings, source="/test") == 0, "only dead letters are marked, and there were none"
    await assert_reconciled(settings)
