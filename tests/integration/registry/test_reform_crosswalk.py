"""The 2025 reform on real data: Trà Vinh's 104 communes become 41 inside Vĩnh Long (86)."""

import asyncio
from datetime import date
from pathlib import Path

from services.registry.cli import apply_facts
from services.registry.domain.official_lists import conversion_facts, unit_list_facts

from .conftest import import_rows

DATA = Path(__file__).resolve().parents[3] / "shared" / "devstack" / "data"


def csv_rows(name: str) -> list[list[str]]:
    import csv

    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.reader(handle))


async def drain_jobs(running) -> None:  # type: ignore[no-untyped-def]
    while await running.registry.republisher.run_once():
        pass


async def test_a_merged_communes_households_are_found_under_the_new_commune_with_their_old_code_kept(running_registry) -> None:  # type: ignore[no-untyped-def]
    running = running_registry
    settings = running.settings
    counts = await apply_facts(settings, unit_list_facts(csv_rows("tra_vinh_communes_2025-01.csv"), valid_from=date(2020, 1, 1)), actor="import-areas")
    assert counts == {"applied": 114}
    results = await import_rows(running, [
        {"type": "administrative-unit-registered", "data": {"code": "29401-01", "level": "hamlet", "name": "Ấp Bến Cát", "parent_code": "29401", "valid_from": "2020-01-01"}},
        {"type": "household-registered", "data": {"household_id": "hh-1", "hamlet_code": "29401-01", "registered_on": "2021-05-01"}},
        {"type": "clan-registered", "data": {"clan_id": "cl-1", "name": "Họ Thạch", "home_commune_code": "29401", "registered_on": "2021-01-01"}},
    ])
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]

    counts = await apply_facts(settings, conversion_facts(csv_rows("tra_vinh_crosswalk_2025-07.csv")), actor="import-areas")
    assert counts.get("rejected", 0) == 0 and counts.get("waiting", 0) == 0, counts
    await drain_jobs(running)

    household = (await running.http.get("/v1/households/hh-1", headers=running.as_("province"))).json()
    assert (household["hamlet_code"], household["commune_code"], household["province_code"]) == ("29401-01", "29407", "86")
    old = (await running.http.get("/v1/administrative-units/29401", headers=running.as_("province"))).json()
    assert (old["valid_to"], old["successor_code"], old["name"]) == ("2025-06-30", "29407", "Xã Hòa Lợi")
    new = (await running.http.get("/v1/administrative-units/29407", headers=running.as_("province"))).json()
    assert new["predecessor_codes"] == ["29401", "29404"] and new["parent_code"] == "86"
    hamlet = (await running.http.get("/v1/administrative-units/29401-01", headers=running.as_("province"))).json()
    assert [(p["code"], p["valid_to"]) for p in hamlet["parent_history"]] == [("29401", "2025-06-30"), ("29407", None)]
    listed = (await running.http.get("/v1/households", params={"commune": "29407"}, headers=running.as_("province"))).json()
    assert [h["household_id"] for h in listed["items"]] == ["hh-1"]
    clan = (await running.http.get("/v1/clans/cl-1", headers=running.as_("province"))).json()
    assert clan["home_commune_code"] == "29407"
    assert [(p["code"], p["valid_to"]) for p in clan["commune_history"]] == [("29401", "2025-06-30"), ("29407", None)]
    districts = (await running.http.get("/v1/administrative-units", params={"level": "district"}, headers=running.as_("province"))).json()
    assert districts["items"] == [], "every district closed on 30 June 2025"
    provinces = (await running.http.get("/v1/administrative-units", params={"level": "province", "include_closed": True}, headers=running.as_("province"))).json()
    assert {(p["code"], p["successor_code"]) for p in provinces["items"]} == {("84", "86"), ("86", None)}
    await asyncio.sleep(0)
