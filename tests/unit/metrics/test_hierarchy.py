from datetime import date

from services.metrics.domain.cells import Hierarchy
from services.metrics.domain.hierarchy import (
    AreaRecord,
    ParentPeriod,
    chain,
    follow_successors,
    hierarchies_for,
    in_force,
    parent_on,
    stored_hierarchy,
)
from shared.events.vocabulary import Level

REFORM = date(2025, 7, 1)
SINCE = date(2015, 1, 1)
CLOSED = date(2025, 6, 30)


def area(code: str, level: Level, parent: str | None, **changes: object) -> AreaRecord:
    values: dict[str, object] = {
        "code": code,
        "level": level,
        "name": code,
        "parent_code": parent,
        "province_code": "84",
        "valid_from": SINCE,
    }
    return AreaRecord(**{**values, **changes})  # type: ignore[arg-type]


def reformed_map() -> dict[str, AreaRecord]:
    hamlet_history = (ParentPeriod("29398", SINCE, CLOSED), ParentPeriod("29400", REFORM))
    areas = [
        area("84", Level.PROVINCE, None, valid_to=CLOSED, successor_code="86", current_code="86"),
        area("86", Level.PROVINCE, None, valid_from=REFORM),
        area("847", Level.DISTRICT, "84", valid_to=CLOSED),
        area(
            "29398",
            Level.COMMUNE,
            "847",
            valid_to=CLOSED,
            successor_code="29400",
            current_code="29400",
        ),
        area("29400", Level.COMMUNE, "86", valid_from=REFORM),
        area("29398-01", Level.HAMLET, "29400", parent_history=hamlet_history),
    ]
    return {a.code: a for a in areas}


def test_only_years_that_ended_before_the_reform_keep_the_recorded_map() -> None:
    assert hierarchies_for(2024, REFORM) == (Hierarchy.RECORDED, Hierarchy.CURRENT)
    assert hierarchies_for(2025, REFORM) == (Hierarchy.CURRENT,)
    assert stored_hierarchy(Hierarchy.RECORDED, 2026, REFORM) == Hierarchy.CURRENT
    assert stored_hierarchy(Hierarchy.RECORDED, 2023, REFORM) == Hierarchy.RECORDED


def test_the_code_in_force_is_found_even_before_the_first_period_or_in_a_gap() -> None:
    periods = (
        ParentPeriod("a", date(2020, 1, 1), date(2020, 12, 31)),
        ParentPeriod("b", date(2022, 1, 1)),
    )
    assert in_force(periods, date(2019, 6, 1)) == "a"
    assert in_force(periods, date(2021, 6, 1)) == "a"
    assert in_force(periods, date(2023, 1, 1)) == "b"
    assert in_force((), date(2023, 1, 1)) is None


def test_a_hamlet_names_its_old_commune_before_the_reform_and_the_merged_one_after() -> None:
    hamlet = reformed_map()["29398-01"]
    assert parent_on(hamlet, date(2024, 12, 31)) == "29398"
    assert parent_on(hamlet, date(2025, 12, 31)) == "29400"


def test_the_recorded_chain_runs_through_the_district_and_the_current_one_through_the_new_units() -> (
    None
):
    areas = reformed_map()
    assert chain(Hierarchy.RECORDED, "29398-01", 2024, areas) == ["29398-01", "29398", "847", "84"]
    assert chain(Hierarchy.CURRENT, "29398-01", 2024, areas) == ["29398-01", "29400", "86"]
    assert chain(Hierarchy.CURRENT, "29398", 2024, areas) == ["29400", "86"]


def test_successors_are_followed_to_today_and_a_cycle_stops() -> None:
    areas = reformed_map()
    assert follow_successors("29398", areas) == "29400"
    assert follow_successors("unknown", areas) == "unknown"
    looping = {
        "a": area("a", Level.COMMUNE, None, successor_code="b"),
        "b": area("b", Level.COMMUNE, None, successor_code="a"),
    }
    assert follow_successors("a", looping) in {"a", "b"}
