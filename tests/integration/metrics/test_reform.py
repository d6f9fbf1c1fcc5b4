"""The 1 July 2025 reform on a real PostgreSQL: a merged commune, recorded and current hierarchies.

Communes 29398 and 29401 (district 847, province 84) merge into commune 29400 of province 86 on
1 July 2025; district 847 and province 84 close the day before. Hamlets keep their codes and move
under 29400. Years before the reform are kept in both maps; the current map makes 2024 → 2026
comparable for the new commune.
"""

import random
from datetime import date

from services.metrics.domain.cells import CellKey, Hierarchy
from services.metrics.settings import MetricsSettings
from shared.events.vocabulary import Level, Title
from tests.unit.metrics.factories import (
    area,
    as_record,
    clan,
    decision,
    family_decision,
    household,
    period,
    province_map,
)

from .feeding import assert_reconciled, cells, feed

FAMILY, CLAN = Title.LEARNING_FAMILY, Title.LEARNING_CLAN
RECORDED, CURRENT = Hierarchy.RECORDED, Hierarchy.CURRENT
# Recognised households per hamlet and year (10 households per hamlet).
RECOGNISED = {
    "29398-01": {2024: 5, 2025: 6, 2026: 7},
    "29398-02": {2024: 6, 2025: 7, 2026: 8},
    "29401-01": {2024: 4, 2025: 5, 2026: 6},
}


def reform() -> list:  # type: ignore[type-arg]
    closed = {"valid_to": date(2025, 6, 30), "version": 2}
    return [
        area("86", Level.PROVINCE, None, province="86", valid_from=date(2025, 7, 1)),
        area("29400", Level.COMMUNE, "86", province="86", valid_from=date(2025, 7, 1)),
        area("84", Level.PROVINCE, None, successor_code="86", **closed),
        area("847", Level.DISTRICT, "84", **closed),
        *(
            area(
                code,
                Level.COMMUNE,
                "847",
                successor_code="29400",
                parent_history=(period("847", "2015-01-01", "2025-06-30"),),
                **closed,
            )
            for code in ("29398", "29401")
        ),
        *(
            area(
                hamlet,
                Level.HAMLET,
                "29400",
                province="86",
                version=2,
                parent_history=(
                    period(hamlet[:5], "2015-01-01", "2025-06-30"),
                    period("29400", "2025-07-01"),
                ),
            )
            for hamlet in RECOGNISED
        ),
    ]


def households() -> list:  # type: ignore[type-arg]
    return [
        as_record(household(f"{hamlet}-{n}", hamlet)) for hamlet in RECOGNISED for n in range(10)
    ]


def family_decisions(years: tuple[int, ...]) -> list:  # type: ignore[type-arg]
    return [
        as_record(family_decision(f"{hamlet}-{n}", year, n < recognised[year]))
        for hamlet, recognised in RECOGNISED.items()
        for n in range(10)
        for year in years
    ]


def clans() -> list:  # type: ignore[type-arg]
    history = (period("29398", "2018-01-01", "2025-06-30"), period("29400", "2025-07-01"))
    return [
        as_record(clan(1, "29400", history=history)),
        as_record(clan(2, "29398")),  # the registry never moved this one: the crosswalk must
        *(
            as_record(decision(CLAN, f"clan-{n}", year, True))
            for n in (1, 2)
            for year in (2024, 2026)
        ),
    ]


def check(kept: dict) -> None:  # type: ignore[type-arg]
    def ratio(key: CellKey) -> float | None:
        return kept[key].figures.ratio_all

    # Recorded 2024: the old communes, their district and old province, as reported then.
    assert kept[CellKey(FAMILY, 2024, RECORDED, Level.COMMUNE, "29398")].counts.recognised == 11
    assert kept[CellKey(FAMILY, 2024, RECORDED, Level.COMMUNE, "29401")].counts.total == 10
    assert kept[CellKey(FAMILY, 2024, RECORDED, Level.DISTRICT, "847")].counts.recognised == 15
    assert kept[CellKey(FAMILY, 2024, RECORDED, Level.COMMUNE, "29398")].parent_code == "847"
    assert ratio(CellKey(FAMILY, 2024, RECORDED, Level.PROVINCE, "84")) == 50.0
    # Current 2024: the same households, re-aggregated into the merged commune and new province.
    merged_2024 = kept[CellKey(FAMILY, 2024, CURRENT, Level.COMMUNE, "29400")]
    assert (merged_2024.counts.total, merged_2024.counts.recognised, merged_2024.parent_code) == (
        30,
        15,
        "86",
    )
    assert kept[CellKey(FAMILY, 2024, CURRENT, Level.HAMLET, "29401-01")].parent_code == "29400"
    assert kept[CellKey(FAMILY, 2024, CURRENT, Level.PROVINCE, "86")].counts.recognised == 15
    # After the reform the maps coincide: one set of cells, and a comparable series.
    assert CellKey(FAMILY, 2025, RECORDED, Level.COMMUNE, "29400") not in kept
    assert ratio(CellKey(FAMILY, 2025, CURRENT, Level.COMMUNE, "29400")) == 60.0
    assert (
        kept[CellKey(FAMILY, 2025, CURRENT, Level.COMMUNE, "29400")].figures.change_points == 10.0
    )
    assert (
        kept[CellKey(FAMILY, 2026, CURRENT, Level.COMMUNE, "29400")].figures.change_points == 10.0
    )
    assert kept[CellKey(FAMILY, 2026, CURRENT, Level.PROVINCE, "86")].counts.recognised == 21
    # No district and no old unit carries entities in the current map.
    for key, cell in kept.items():
        if key.hierarchy == CURRENT and cell.counts.total:
            assert key.area_code not in {"84", "847", "29398", "29401"}, key
    # Clans: at their commune that year (recorded), at today's commune through the crosswalk (current).
    assert kept[CellKey(CLAN, 2024, RECORDED, Level.COMMUNE, "29398")].counts.total == 2
    assert kept[CellKey(CLAN, 2024, CURRENT, Level.COMMUNE, "29400")].counts.total == 2
    # clan-2's snapshot still names the old commune: the crosswalk places it in 29400 all the same.
    assert kept[CellKey(CLAN, 2026, CURRENT, Level.COMMUNE, "29400")].counts.total == 2


async def test_years_before_the_reform_are_kept_in_both_maps_and_comparable_in_the_current_one(
    make_settings,
) -> None:  # type: ignore[no-untyped-def]
    records = [as_record(a) for a in province_map()] + [as_record(a) for a in reform()]
    records += households() + family_decisions((2024, 2025, 2026)) + clans()
    settings = await make_settings(MetricsSettings)
    await feed(settings, records, batch_size=40)
    await assert_reconciled(settings)
    check(await cells(settings))


async def test_the_reform_arriving_after_the_figures_moves_them_into_the_new_units(
    make_settings,
) -> None:  # type: ignore[no-untyped-def]
    before = (
        [as_record(a) for a in province_map()]
        + households()
        + family_decisions((2024,))
        + clans()[:2]
    )
    shuffled = [as_record(a) for a in reform()] + family_decisions((2025, 2026)) + clans()[2:]
    random.Random(7).shuffle(shuffled)
    settings = await make_settings(MetricsSettings)
    await feed(settings, before, batch_size=25)
    await feed(settings, shuffled + shuffled[::4], batch_size=9)
    await assert_reconciled(settings)
    check(await cells(settings))
