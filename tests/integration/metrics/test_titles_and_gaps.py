"""All five titles, registrations and gaps on a real PostgreSQL, fed in any order, then reconciled."""

import asyncio
import random

from services.metrics.app import build_runtime
from services.metrics.domain.cells import CellKey, Hierarchy
from services.metrics.settings import MetricsSettings
from shared.events.vocabulary import Level, Title
from tests.unit.metrics.factories import (
    as_record,
    citizen,
    clan,
    decision,
    family_decision,
    household,
    period,
    province_map,
    registration,
    unit,
)

from .feeding import assert_reconciled, cells, feed, outbox_rows

CURRENT = Hierarchy.CURRENT


def events() -> list:  # type: ignore[type-arg]
    moved = (period("29401-01", "2020-01-01", "2024-05-31"), period("29398-02", "2024-06-01"))
    return [
        *province_map(),
        *(household(n, "29401-01") for n in range(6)),
        household(6, "29398-02", version=2, history=moved),  # lived in 29401-01 until mid-2024
        household(7, "29398-01", registered="2020-01-01", removed="2024-02-01"),
        *(citizen(n, n % 7) for n in range(10)),
        clan(1, "29401"),
        clan(2, "29398"),
        unit(1, "29401"),
        unit(2, "29401"),
        *(
            registration(Title.LEARNING_FAMILY, f"hh-{n}", year)
            for n in range(8)
            for year in (2023, 2024)
        ),
        *(family_decision(n, 2023, n % 2 == 0) for n in range(8)),
        *(
            family_decision(n, 2024, n < 5) for n in range(5)
        ),  # hh-5 and hh-6 registered, not decided yet
        *(decision(Title.LEARNING_CITIZEN, f"ct-{n}", 2024, n % 3 == 0) for n in range(10)),
        decision(Title.LEARNING_CLAN, "clan-1", 2024, True),
        decision(Title.LEARNING_CLAN, "clan-2", 2024, False),
        decision(Title.LEARNING_UNIT, "unit-1", 2024, True),
        decision(Title.LEARNING_COMMUNITY, "29401-01", 2024, True),
        registration(Title.LEARNING_UNIT, "unit-2", 2024),
    ]


def key(title: Title, year: int, level: Level, code: str) -> CellKey:
    return CellKey(title, year, CURRENT, level, code)


async def test_every_title_counts_its_entities_and_gaps_are_reported_not_zeroed(
    make_settings,
) -> None:  # type: ignore[no-untyped-def]
    records = [as_record(e) for e in events()]
    random.Random(3).shuffle(records)
    settings = await make_settings(MetricsSettings)
    await feed(settings, records + records[::2], batch_size=6)
    await assert_reconciled(settings)
    kept = await cells(settings)

    family_2024 = kept[key(Title.LEARNING_FAMILY, 2024, Level.HAMLET, "29401-01")]
    assert (
        family_2024.counts.total,
        family_2024.counts.registered,
        family_2024.counts.assessed,
    ) == (6, 6, 5)
    assert (
        family_2024.figures.data_status == "insufficient" and family_2024.figures.ratio_all is None
    )
    assert "1 of 6 registered" in family_2024.figures.data_status_reason
    # hh-6 lived in 29401-01 on 31 December 2023 and in 29398-02 on 31 December 2024.
    assert kept[key(Title.LEARNING_FAMILY, 2023, Level.HAMLET, "29401-01")].counts.total == 7
    moved_to = kept[key(Title.LEARNING_FAMILY, 2024, Level.HAMLET, "29398-02")]
    assert (moved_to.counts.total, moved_to.counts.registered, moved_to.figures.data_status) == (
        1,
        1,
        "insufficient",
    )
    assert moved_to.figures.data_status_reason == "1 entity but no decisions for 2024"
    # hh-7 was removed in February 2024: in 2023 only.
    assert (
        key(Title.LEARNING_FAMILY, 2024, Level.HAMLET, "29398-01") not in kept
        or not kept[key(Title.LEARNING_FAMILY, 2024, Level.HAMLET, "29398-01")].counts.total
    )
    assert kept[key(Title.LEARNING_FAMILY, 2023, Level.PROVINCE, "84")].figures.ratio_all == 50.0

    citizens = kept[key(Title.LEARNING_CITIZEN, 2024, Level.PROVINCE, "84")]
    assert (citizens.counts.total, citizens.counts.recognised, citizens.figures.ratio_all) == (
        10,
        4,
        40.0,
    )
    assert (
        kept[key(Title.LEARNING_CITIZEN, 2024, Level.HAMLET, "29398-02")].counts.total == 1
    )  # ct-6 moved with hh-6
    assert kept[key(Title.LEARNING_CLAN, 2024, Level.PROVINCE, "84")].figures.ratio_all == 50.0
    units = kept[key(Title.LEARNING_UNIT, 2024, Level.COMMUNE, "29401")]
    assert (units.counts.total, units.counts.registered, units.counts.assessed) == (2, 2, 1)
    assert units.figures.data_status == "insufficient"
    communities = kept[key(Title.LEARNING_COMMUNITY, 2024, Level.DISTRICT, "847")]
    assert (communities.counts.total, communities.counts.recognised) == (
        3,
        1,
    )  # three hamlets, one recognised


async def test_each_change_of_figures_is_published_once_with_growing_revisions(
    make_settings,
) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(MetricsSettings)
    records = [
        as_record(e) for e in (*province_map(), *(household(n, "29401-01") for n in range(3)))
    ]
    decided = [as_record(family_decision(n, 2024, True), seed=f"d{n}") for n in range(3)]
    await feed(settings, records, batch_size=20)
    await feed(settings, decided, batch_size=20)
    await feed(settings, decided, batch_size=20)  # redelivered: the same event ids
    await feed(settings, [as_record(family_decision(0, 2024, False, revision=2))], batch_size=20)
    published = [r for r in await outbox_rows(settings) if r.topic == "metrics.indicator.v1"]
    hamlet = [
        r
        for r in published
        if dict(zip(r.header_names, r.header_values, strict=True))["ce_subject"] == b"29401-01"
    ]
    assert len(hamlet) == 2 * 2  # recorded and current, created then corrected
    assert len(published) == 2 * 2 * 4  # hamlet, commune, district and province, in both maps


async def test_two_replicas_folding_at_the_same_time_end_equal_to_a_recount(make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = await make_settings(MetricsSettings)
    base = [
        as_record(e)
        for e in (
            *province_map(),
            *(household(n, ("29398-01", "29401-01")[n % 2]) for n in range(40)),
        )
    ]
    await feed(settings, base, batch_size=50)
    decided = [
        as_record(family_decision(n, year, (n * year) % 3 != 0))
        for n in range(40)
        for year in (2023, 2024)
    ]
    corrections = [
        as_record(family_decision(n, 2024, n % 2 == 0, revision=2)) for n in range(0, 40, 3)
    ]
    random.Random(5).shuffle(decided)
    halves = [decided[::2] + corrections, decided[1::2] + corrections[::-1]]
    replicas = [build_runtime(settings) for _ in halves]
    try:

        async def run(replica, records) -> None:  # type: ignore[no-untyped-def]
            [consumer] = [c for c in replica.consumers if c.topic == "recognition.decision.v1"]
            for start in range(0, len(records), 7):
                await consumer(records[start : start + 7])

        await asyncio.gather(*(run(r, h) for r, h in zip(replicas, halves, strict=True)))
    finally:
        for replica in replicas:
            await replica.engine.dispose()
    await assert_reconciled(settings)
    kept = await cells(settings)
    province = kept[CellKey(Title.LEARNING_FAMILY, 2024, CURRENT, Level.PROVINCE, "84")]
    assert (province.counts.total, province.counts.assessed) == (40, 40)
