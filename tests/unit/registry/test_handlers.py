from datetime import date

from services.registry.handlers import apply_inbound_facts
from shared.events.catalogue import REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_HOUSEHOLDS, REGISTRY_INBOUND
from shared.events.inbound import AdministrativeUnitRegistered, FamilyEvidenceSubmitted, HouseholdRegistered
from shared.events.registry import FamilyEvidenceRecorded, HouseholdChanged
from shared.events.vocabulary import Level
from shared.testing import NOW, family_evidence, received

from .fakes import FakeRegistryUnitOfWork, households_of

SINCE = date(2020, 1, 1)


def hierarchy() -> list:  # type: ignore[type-arg]
    return [
        AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", valid_from=SINCE),
        AdministrativeUnitRegistered(code="29398", level=Level.COMMUNE, name="Xã Hòa Thuận", parent_code="84", valid_from=SINCE),
        AdministrativeUnitRegistered(code="29398-01", level=Level.HAMLET, name="Ấp Đa Hòa Bắc", parent_code="29398", valid_from=SINCE),
    ]


async def test_a_household_arriving_in_the_same_batch_as_its_hamlet_is_placed_there() -> None:
    uow = FakeRegistryUnitOfWork()
    facts = [
        HouseholdRegistered(household_id="hh-1", hamlet_code="29398-01", registered_on=SINCE),
        *reversed(hierarchy()),
    ]
    outcome = await apply_inbound_facts([received(REGISTRY_INBOUND, "k", f) for f in facts], uow, NOW)

    assert outcome.dead_letters == []
    assert households_of(uow)["hh-1"].commune_code == "29398"
    topics = [e.topic for e in outcome.events]
    assert topics == [REGISTRY_ADMINISTRATIVE_UNITS] * 3 + [REGISTRY_HOUSEHOLDS]
    changed = outcome.events[-1].data
    assert isinstance(changed, HouseholdChanged) and changed.province_code == "84"
    assert outcome.events[-1].key == "hh-1"


async def test_a_refused_fact_is_dead_lettered_with_its_reason_while_the_rest_applies() -> None:
    uow = FakeRegistryUnitOfWork()
    await apply_inbound_facts([received(REGISTRY_INBOUND, "k", f) for f in hierarchy()], uow, NOW)
    batch = [
        received(REGISTRY_INBOUND, "hh-1", HouseholdRegistered(household_id="hh-1", hamlet_code="29398-01", registered_on=SINCE)),
        received(REGISTRY_INBOUND, "hh-2", HouseholdRegistered(household_id="hh-2", hamlet_code="29398-77", registered_on=SINCE)),
        received(REGISTRY_INBOUND, "hh-1", FamilyEvidenceSubmitted(household_id="hh-1", year=2024, evidence=family_evidence())),
    ]
    outcome = await apply_inbound_facts(batch, uow, NOW)

    [letter] = outcome.dead_letters
    assert letter.code == "rejected"
    assert letter.reason == "unknown_reference: hamlet 29398-77 is not registered"
    assert letter.delivery.key == b"hh-2"
    assert [type(e.data) for e in outcome.events] == [HouseholdChanged, FamilyEvidenceRecorded]


async def test_a_fact_that_changes_nothing_emits_nothing() -> None:
    uow = FakeRegistryUnitOfWork()
    first = await apply_inbound_facts([received(REGISTRY_INBOUND, "k", f) for f in hierarchy()], uow, NOW)
    again = await apply_inbound_facts([received(REGISTRY_INBOUND, "k", f) for f in hierarchy()], uow, NOW)
    assert len(first.events) == 3
    assert again.events == [] and again.dead_letters == []
