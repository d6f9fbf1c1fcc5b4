"""The from-scratch recount reconcile compares with, and how it reports differences."""

from dataclasses import replace
from datetime import date

from services.metrics.domain.cells import CellKey, Counts, Hierarchy, Tally
from services.metrics.domain.expected import differences, expected_cells
from services.metrics.domain.hierarchy import AreaRecord
from services.metrics.domain.rules import MetricsRules
from shared.events.vocabulary import Level, Title

FAMILY = Title.LEARNING_FAMILY
RULES = MetricsRules.build(programme=None)
SINCE = date(2015, 1, 1)


def area(code: str, level: Level, parent: str | None) -> AreaRecord:
    return AreaRecord(code, level, f"{level.value} {code}", parent, code[:2], SINCE)


AREAS = {
    a.code: a
    for a in (
        area("84", Level.PROVINCE, None),
        area("83", Level.PROVINCE, None),
        area("84001", Level.COMMUNE, "84"),
        area("83001", Level.COMMUNE, "83"),
        area("84001-01", Level.HAMLET, "84001"),
        area("84001-02", Level.HAMLET, "84001"),
        area("83001-01", Level.HAMLET, "83001"),
    )
}
LEAVES = {
    (FAMILY, 2025, "84001-01"): Tally.of(Counts(10, 8, 6, 8), {"2016.1": 8}),
    (FAMILY, 2025, "84001-02"): Tally.of(Counts(5, 5, 1, 5), {"2016.1": 5}),
    (FAMILY, 2025, "83001-01"): Tally.of(Counts(4, 4, 4, 4), {"2024.1": 4}),
}


def test_leaves_add_up_to_every_level_and_the_country_once_two_provinces_count() -> None:
    cells = expected_cells(LEAVES, AREAS, RULES, {})
    commune = cells[CellKey(FAMILY, 2025, Hierarchy.CURRENT, Level.COMMUNE, "84001")]
    assert (commune.counts, commune.parent_code) == (Counts(15, 13, 7, 13), "84")
    country = cells[CellKey(FAMILY, 2025, Hierarchy.CURRENT, Level.COUNTRY, "VN")]
    assert country.counts == Counts(19, 17, 11, 17) and country.tally.rule_versions == (
        "2016.1",
        "2024.1",
    )
    assert (
        CellKey(FAMILY, 2025, Hierarchy.RECORDED, Level.HAMLET, "84001-01") not in cells
    )  # after the reform


def test_a_single_province_makes_no_country() -> None:
    only = {k: v for k, v in LEAVES.items() if k[2].startswith("84")}
    assert not any(k.level == Level.COUNTRY for k in expected_cells(only, AREAS, RULES, {}))


def test_every_difference_is_one_line_naming_the_cell_and_both_values() -> None:
    expected = expected_cells(LEAVES, AREAS, RULES, {})
    kept = dict(expected)
    key = CellKey(FAMILY, 2025, Hierarchy.CURRENT, Level.COMMUNE, "84001")
    kept[key] = replace(kept[key], tally=Tally.of(Counts(15, 13, 8, 13), {"2016.1": 13}))
    del kept[CellKey(FAMILY, 2025, Hierarchy.CURRENT, Level.HAMLET, "83001-01")]
    lines = differences(kept, expected_cells(LEAVES, AREAS, RULES, kept))
    assert "learning_family 2025 current commune 84001: recognised is 8, a recount gives 7" in lines
    assert any(
        line.startswith("learning_family 2025 current hamlet 83001-01: missing") for line in lines
    )
    assert differences(expected, expected_cells(LEAVES, AREAS, RULES, expected)) == []
