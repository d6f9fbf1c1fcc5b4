from datetime import date

from services.registry.domain.world import World
from shared.events import inbound as f
from shared.events.vocabulary import Level

from .builders import SINCE, apply, province_world

REFORM = date(2025, 7, 1)


def test_a_unit_under_an_unregistered_parent_waits_for_it() -> None:
    result = apply(World(), f.AdministrativeUnitRegistered(code="29401", level=Level.COMMUNE, name="X", parent_code="847", valid_from=SINCE))
    assert (result.status, result.waiting_for) == ("waiting", "administrative unit 847")


def test_a_hamlet_directly_under_a_province_is_refused() -> None:
    result = apply(province_world(), f.AdministrativeUnitRegistered(code="84-01", level=Level.HAMLET, name="X", parent_code="84", valid_from=SINCE))
    assert result.status == "rejected" and "a hamlet cannot sit under a province" in (result.reason or "")


def test_registering_the_same_unit_twice_changes_nothing_and_a_rename_is_a_new_version() -> None:
    world = province_world()
    assert apply(world, f.AdministrativeUnitRegistered(code="29401", level=Level.COMMUNE, name="Xã Hòa Lợi", parent_code="847", valid_from=SINCE)).status == "unchanged"
    assert apply(world, f.AdministrativeUnitRenamed(code="29401", name="Xã Hòa Lợi Mới", effective_on=date(2026, 1, 1))).status == "applied"
    assert (world.units["29401"].name, world.units["29401"].version) == ("Xã Hòa Lợi Mới", 2)


def test_a_merger_closes_the_sources_names_the_successor_and_moves_their_hamlets() -> None:
    world = province_world()
    world.children = {"29401": ["29401-01"], "29407": ["29407-01"]}
    merge = f.AdministrativeUnitsMerged(
        source_codes=("29401", "29407"),
        target=f.MergeTarget(code="29407", level=Level.COMMUNE, name="Xã Hưng Mỹ", kind="xa", parent_code="84"),
        effective_on=REFORM,
    )
    assert apply(world, merge, minutes=1).status == "applied"
    old, new, hamlet = world.units["29401"], world.units["29407"], world.units["29401-01"]
    assert (old.valid_to, old.successor_code) == (date(2025, 6, 30), "29407")
    assert (new.parent_code, new.open) == ("84", True)
    assert [(p.code, p.valid_to) for p in new.parent_history] == [("847", date(2025, 6, 30)), ("84", None)]
    assert hamlet.parent_code == "29407"
    assert [(p.code, p.valid_from, p.valid_to) for p in hamlet.parent_history] == [
        ("29401", SINCE, date(2025, 6, 30)), ("29407", REFORM, None)
    ]
    assert world.successors == {"29401"} and {"29407", "29401-01"} <= world.refresh_subtrees
    assert apply(world, merge, minutes=2).status == "unchanged"


def test_a_district_with_open_communes_cannot_close() -> None:
    world = province_world()
    world.children = {"847": ["29401", "29407"]}
    result = apply(world, f.AdministrativeUnitClosed(code="847", valid_to=date(2025, 6, 30)))
    assert result.status == "rejected"
    assert "still has open children (29401, 29407)" in (result.reason or "")


def test_a_household_cannot_join_a_hamlet_that_ended() -> None:
    world = province_world()
    world.children = {"29401": ["29401-01"]}
    apply(world, f.AdministrativeUnitsMerged(source_codes=("29401",), target=f.MergeTarget(code="29407", level=Level.COMMUNE, name="Xã Hưng Mỹ"), effective_on=REFORM))
    apply(world, f.AdministrativeUnitClosed(code="29401-01", valid_to=date(2026, 1, 1)), minutes=5)
    result = apply(world, f.HouseholdRegistered(household_id="hh-1", hamlet_code="29401-01", registered_on=SINCE), minutes=6)
    assert result.status == "rejected" and "ended on 2026-01-01" in (result.reason or "")


def test_an_older_fact_about_a_unit_is_stale() -> None:
    world = province_world()
    apply(world, f.AdministrativeUnitRenamed(code="29401", name="Tên mới", effective_on=SINCE), minutes=10)
    result = apply(world, f.AdministrativeUnitRenamed(code="29401", name="Tên cũ", effective_on=SINCE), minutes=5)
    assert result.status == "stale" and world.units["29401"].name == "Tên mới"
