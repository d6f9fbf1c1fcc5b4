"""Metrics on a real PostgreSQL: the final cells depend only on the facts, never on their order."""

import random
from datetime import date

from prometheus_client import CollectorRegistry

from services.metrics.adapters.db import OUTBOX, MetricsSqlUnitOfWork, recount_from_scratch, stored_counts
from services.metrics.domain.cells import Counts
from services.metrics.handlers import on_decisions, on_households
from services.metrics.settings import MetricsSettings
from shared.consumer import BatchConsumer
from shared.db import create_engine
from shared.events.catalogue import RECOGNITION_DECISIONS, REGISTRY_HOUSEHOLDS
from shared.events.recognition import TitleDecided
from shared.events.registry import HouseholdChanged
from shared.events.vocabulary import Level, Title
from shared.observability import ServiceMetrics
from shared.testing import record_of

HAMLETS = {"29398-01": "29398", "29398-02": "29398", "29401-01": "29401"}


def household(n: int, hamlet: str, version: int = 1, removed: date | None = None) -> HouseholdChanged:
    return HouseholdChanged(
        household_id=f"hh-{n}", hamlet_code=hamlet, commune_code=HAMLETS[hamlet], province_code="84",
        registered_on=date(2020 + n % 3, 1, 1), removed_on=removed, version=version,
    )


def decision(n: int, year: int, granted: bool, revision: int = 1) -> TitleDecided:
    return TitleDecided(
        title=Title.LEARNING_FAMILY, entity_kind="household", entity_id=f"hh-{n}", year=year, granted=granted,
        total_points=90 if granted else 50, max_points=100, threshold=80, criteria=(), unmet=(),
        rule_set_id="learning-family", rule_version="2016.1", rule_effective_from=date(2016, 1, 1), revision=revision,
    )


def history() -> list:  # type: ignore[type-arg]
    """Twelve households over three hamlets, two years, with a move, a removal and a corrected decision."""
    records = []
    hamlets = list(HAMLETS)
    for n in range(12):
        records.append(record_of(REGISTRY_HOUSEHOLDS, f"hh-{n}", household(n, hamlets[n % 3]), seed=f"h{n}"))
        for year in (2023, 2024):
            records.append(record_of(RECOGNITION_DECISIONS, f"hh-{n}", decision(n, year, (n + year) % 3 != 0), seed=f"d{n}{year}"))
    records.append(record_of(REGISTRY_HOUSEHOLDS, "hh-0", household(0, "29401-01", version=2), seed="move"))
    records.append(record_of(REGISTRY_HOUSEHOLDS, "hh-5", household(5, hamlets[2], version=2, removed=date(2024, 3, 1)), seed="remove"))
    records.append(record_of(RECOGNITION_DECISIONS, "hh-1", decision(1, 2024, False, revision=2), seed="correct"))
    return records


async def feed(settings: MetricsSettings, records: list, batch_size: int) -> dict:  # type: ignore[type-arg]
    engine = create_engine(settings)
    metrics = ServiceMetrics("metrics", CollectorRegistry())
    consumers = {
        topic.name: BatchConsumer(
            service="metrics", topic=topic.name, accepted={cls.TYPE: cls}, handler=handler,
            unit_of_work=lambda: MetricsSqlUnitOfWork(engine, OUTBOX, "hoctap_outbox_test"), metrics=metrics,
        )
        for topic, cls, handler in ((REGISTRY_HOUSEHOLDS, HouseholdChanged, on_households), (RECOGNITION_DECISIONS, TitleDecided, on_decisions))
    }
    try:
        for start in range(0, len(records), batch_size):
            chunk = records[start : start + batch_size]
            for topic in consumers:
                mine = [r for r in chunk if r.topic == topic]
                if mine:
                    await consumers[topic](mine)
        async with engine.connect() as connection:
            stored = await stored_counts(connection)
            assert stored == await recount_from_scratch(connection), "incremental cells drifted from a recount"
            return stored
    finally:
        await engine.dispose()


async def test_any_order_and_any_redelivery_give_the_same_cells_as_a_recount(make_settings) -> None:  # type: ignore[no-untyped-def]
    in_order = await feed(await make_settings(MetricsSettings, variant="a"), history(), batch_size=7)
    shuffled = history()
    random.Random(42).shuffle(shuffled)
    redelivered = shuffled + shuffled[::3]
    reordered = await feed(await make_settings(MetricsSettings, variant="b"), redelivered, batch_size=5)
    assert reordered == in_order


async def test_the_cells_count_moves_removals_and_corrections(make_settings) -> None:  # type: ignore[no-untyped-def]
    cells = await feed(await make_settings(MetricsSettings), history(), batch_size=50)
    family = Title.LEARNING_FAMILY
    # hh-0 moved to 29401-01; hh-5 was removed in 2024 and counts only in 2023.
    assert cells[(family, 2024, Level.HAMLET, "29401-01")].total == 4 + 1 - 1
    assert cells[(family, 2023, Level.PROVINCE, "84")].total == 12
    assert cells[(family, 2024, Level.PROVINCE, "84")].total == 11
    province_2024 = cells[(family, 2024, Level.PROVINCE, "84")]
    granted_2024 = sum(1 for n in range(12) if n != 5 and (n + 2024) % 3 != 0 and n != 1)
    assert province_2024 == Counts(11, 11, granted_2024)
