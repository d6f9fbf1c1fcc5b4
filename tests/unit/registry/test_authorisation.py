from services.registry.domain.scope import Publisher
from shared.events import inbound as f
from shared.testing import family_evidence

from .builders import SINCE, apply, province_world

HOA_LOI = Publisher("commune-29401", ("/vn/84/29401/records",), ("29401",))
PROVINCE = Publisher("province-84", ("/vn/84/statistics",), ("84",))


def test_a_commune_publisher_may_act_in_its_own_hamlets() -> None:
    result = apply(province_world(), f.HouseholdRegistered(household_id="hh-1", hamlet_code="29401-01", registered_on=SINCE), publisher=HOA_LOI)
    assert result.status == "applied"


def test_a_commune_publisher_publishing_for_another_commune_is_refused() -> None:
    result = apply(province_world(), f.HouseholdRegistered(household_id="hh-1", hamlet_code="29407-01", registered_on=SINCE), publisher=HOA_LOI)
    assert (result.status, result.code) == ("rejected", "not_authorised")
    assert result.reason == "publisher commune-29401 may not publish for area 29407-01"


def test_evidence_is_authorised_by_the_households_area() -> None:
    world = province_world()
    apply(world, f.HouseholdRegistered(household_id="hh-2", hamlet_code="29407-01", registered_on=SINCE), publisher=PROVINCE)
    result = apply(world, f.FamilyEvidenceSubmitted(household_id="hh-2", year=2024, evidence=family_evidence()), publisher=HOA_LOI, minutes=1)
    assert result.code == "not_authorised"


def test_an_unregistered_publisher_is_refused() -> None:
    from services.registry.domain.applier import Fact, apply_fact

    from .builders import TODAY, at

    result = apply_fact(province_world(), Fact(f.AdministrativeUnitRenamed(code="84", name="X", effective_on=SINCE), at()), None, enforce=True, today=TODAY)
    assert (result.status, result.code) == ("rejected", "not_authorised")
