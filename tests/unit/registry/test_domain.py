from datetime import date

import pytest

from services.registry.domain.model import (
    AdministrativeUnit,
    Household,
    Refused,
    record_evidence,
    register_household,
    register_unit,
)
from shared.events.inbound import AdministrativeUnitRegistered, FamilyEvidenceSubmitted, HouseholdRegistered
from shared.events.vocabulary import Level
from shared.testing import family_evidence

SINCE = date(2020, 1, 1)
PROVINCE = AdministrativeUnit("84", Level.PROVINCE, "Tỉnh Trà Vinh", None, "84", None, SINCE, None, 1)
COMMUNE = AdministrativeUnit("29398", Level.COMMUNE, "Xã Hòa Thuận", "84", "84", "29398", SINCE, None, 1)
HAMLET = AdministrativeUnit("29398-01", Level.HAMLET, "Ấp Đa Hòa Bắc", "29398", "84", "29398", SINCE, None, 1)
OTHER_HAMLET = AdministrativeUnit("29398-02", Level.HAMLET, "Ấp Đa Hòa Nam", "29398", "84", "29398", SINCE, None, 1)


def unit_fact(code: str, level: Level, parent: str | None, name: str = "X") -> AdministrativeUnitRegistered:
    return AdministrativeUnitRegistered(code=code, level=level, name=name, parent_code=parent, valid_from=SINCE)


def test_a_hamlet_takes_its_commune_and_province_from_its_parent() -> None:
    hamlet = register_unit(None, COMMUNE, unit_fact("29398-01", Level.HAMLET, "29398"))
    assert hamlet is not None
    assert (hamlet.commune_code, hamlet.province_code, hamlet.version) == ("29398", "84", 1)


def test_a_unit_under_an_unregistered_parent_is_refused() -> None:
    with pytest.raises(Refused, match="parent unit 29398 is not registered") as refusal:
        register_unit(None, None, unit_fact("29398-01", Level.HAMLET, "29398"))
    assert refusal.value.code == "unknown_reference"


def test_a_hamlet_directly_under_a_province_is_refused() -> None:
    with pytest.raises(Refused, match="a hamlet cannot sit under a province"):
        register_unit(None, PROVINCE, unit_fact("84-01", Level.HAMLET, "84"))


def test_registering_the_same_unit_again_changes_nothing_and_a_rename_is_a_new_version() -> None:
    assert register_unit(HAMLET, COMMUNE, unit_fact("29398-01", Level.HAMLET, "29398", "Ấp Đa Hòa Bắc")) is None
    renamed = register_unit(HAMLET, COMMUNE, unit_fact("29398-01", Level.HAMLET, "29398", "Ấp Đa Hòa"))
    assert renamed is not None and renamed.version == 2 and renamed.name == "Ấp Đa Hòa"


def test_a_household_in_an_unknown_hamlet_is_refused() -> None:
    fact = HouseholdRegistered(household_id="hh-1", hamlet_code="29398-09", registered_on=SINCE)
    with pytest.raises(Refused, match="hamlet 29398-09 is not registered"):
        register_household(None, None, fact)


def test_a_household_registered_at_a_commune_is_refused() -> None:
    fact = HouseholdRegistered(household_id="hh-1", hamlet_code="29398", registered_on=SINCE)
    with pytest.raises(Refused, match="29398 is a commune, not a hamlet"):
        register_household(None, COMMUNE, fact)


def test_registering_a_household_in_another_hamlet_moves_it_and_keeps_its_registration_date() -> None:
    first = register_household(None, HAMLET, HouseholdRegistered(household_id="hh-1", hamlet_code=HAMLET.code, registered_on=SINCE))
    assert first is not None
    moved = register_household(first, OTHER_HAMLET, HouseholdRegistered(household_id="hh-1", hamlet_code=OTHER_HAMLET.code, registered_on=date(2025, 5, 1)))
    assert moved is not None
    assert (moved.hamlet_code, moved.registered_on, moved.version) == ("29398-02", SINCE, 2)
    assert register_household(moved, OTHER_HAMLET, HouseholdRegistered(household_id="hh-1", hamlet_code=OTHER_HAMLET.code, registered_on=SINCE)) is None


HOUSEHOLD = Household("hh-1", "29398-01", "29398", "84", date(2022, 3, 1), None, 1)


def evidence_fact(year: int, **changes: object) -> FamilyEvidenceSubmitted:
    return FamilyEvidenceSubmitted(household_id="hh-1", year=year, evidence=family_evidence(**changes))


def test_evidence_for_an_unregistered_household_is_refused() -> None:
    with pytest.raises(Refused, match="household hh-1 is not registered"):
        record_evidence(None, None, evidence_fact(2024), today=date(2026, 11, 28))


def test_evidence_before_the_household_existed_or_in_the_future_is_refused() -> None:
    with pytest.raises(Refused, match="predates the household's registration"):
        record_evidence(HOUSEHOLD, None, evidence_fact(2021), today=date(2026, 11, 28))
    with pytest.raises(Refused, match="2027 is in the future"):
        record_evidence(HOUSEHOLD, None, evidence_fact(2027), today=date(2026, 11, 28))


def test_a_correction_is_a_new_version_and_a_repeat_is_nothing() -> None:
    first = record_evidence(HOUSEHOLD, None, evidence_fact(2024), today=date(2026, 11, 28))
    assert first is not None and first.version == 1
    assert record_evidence(HOUSEHOLD, first, evidence_fact(2024), today=date(2026, 11, 28)) is None
    corrected = record_evidence(HOUSEHOLD, first, evidence_fact(2024, adults_learning=1), today=date(2026, 11, 28))
    assert corrected is not None and corrected.version == 2
