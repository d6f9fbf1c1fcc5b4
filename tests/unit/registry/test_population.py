from datetime import date

from services.registry.domain.world import World
from shared.events import inbound as f
from shared.events.vocabulary import Title
from shared.testing import family_evidence

from .builders import SINCE, apply, province_world


def household(world: World, household_id: str = "hh-1", hamlet: str = "29401-01") -> None:
    assert apply(world, f.HouseholdRegistered(household_id=household_id, hamlet_code=hamlet, registered_on=SINCE)).status == "applied"


def test_a_household_takes_its_commune_and_province_from_its_hamlet() -> None:
    world = province_world()
    household(world)
    h = world.households["hh-1"]
    assert (h.hamlet_code, h.commune_code, h.province_code) == ("29401-01", "29401", "84")


def test_registering_a_household_in_another_hamlet_is_refused_and_a_move_keeps_the_history() -> None:
    world = province_world()
    household(world)
    again = apply(world, f.HouseholdRegistered(household_id="hh-1", hamlet_code="29407-01", registered_on=SINCE), minutes=1)
    assert again.status == "rejected" and "publish household-moved" in (again.reason or "")
    assert apply(world, f.HouseholdMoved(household_id="hh-1", hamlet_code="29407-01", moved_on=date(2024, 3, 1)), minutes=2).status == "applied"
    h = world.households["hh-1"]
    assert (h.commune_code, h.version) == ("29407", 2)
    assert [(p.code, p.valid_to) for p in h.hamlet_history] == [("29401-01", date(2024, 2, 29)), ("29407-01", None)]


def test_a_member_for_a_household_that_does_not_exist_waits_for_it() -> None:
    world = province_world()
    apply(world, f.CitizenRegistered(citizen_id="c-1", birth_year=1990))
    result = apply(world, f.MemberAdded(household_id="hh-9", citizen_id="c-1", added_on=SINCE))
    assert (result.status, result.waiting_for) == ("waiting", "household hh-9")


def test_a_head_member_becomes_the_households_head_and_leaving_clears_it() -> None:
    world = province_world()
    household(world)
    apply(world, f.CitizenRegistered(citizen_id="c-1", birth_year=1980, household_id="hh-1"), hmac="abc")
    apply(world, f.MemberAdded(household_id="hh-1", citizen_id="c-1", role="head", added_on=SINCE), minutes=1)
    assert world.households["hh-1"].head_citizen_id == "c-1"
    assert world.citizens["c-1"].national_id_hmac == "abc"
    apply(world, f.MemberRemoved(household_id="hh-1", citizen_id="c-1", removed_on=SINCE), minutes=2)
    assert world.households["hh-1"].head_citizen_id is None and world.citizens["c-1"].household_id is None


def test_a_clan_based_in_a_hamlet_of_another_commune_is_refused() -> None:
    result = apply(province_world(), f.ClanRegistered(clan_id="cl-1", name="Họ Nguyễn", home_commune_code="29401", home_hamlet_code="29407-01", registered_on=SINCE))
    assert result.status == "rejected" and "not in commune 29401" in (result.reason or "")


def test_leaving_a_clan_the_household_is_not_in_is_refused() -> None:
    world = province_world()
    household(world)
    apply(world, f.ClanRegistered(clan_id="cl-1", name="Họ Nguyễn", home_commune_code="29401", registered_on=SINCE))
    apply(world, f.ClanRegistered(clan_id="cl-2", name="Họ Trần", home_commune_code="29401", registered_on=SINCE))
    apply(world, f.ClanJoined(clan_id="cl-1", household_id="hh-1", joined_on=SINCE), minutes=1)
    result = apply(world, f.ClanLeft(clan_id="cl-2", household_id="hh-1", left_on=SINCE), minutes=2)
    assert result.status == "rejected" and "belongs to clan cl-1" in (result.reason or "")


def test_unit_members_are_kept_on_the_citizen() -> None:
    world = province_world()
    apply(world, f.UnitRegistered(unit_id="u-1", name="Trường THCS Hòa Lợi", kind="school", commune_code="29401", member_count=40, registered_on=SINCE))
    apply(world, f.CitizenRegistered(citizen_id="c-1", birth_year=1985))
    apply(world, f.UnitMemberAdded(unit_id="u-1", citizen_id="c-1"), minutes=1)
    assert world.citizens["c-1"].unit_ids == ("u-1",)
    assert apply(world, f.UnitMemberAdded(unit_id="u-1", citizen_id="c-1"), minutes=2).status == "unchanged"


def test_evidence_registers_the_entity_and_a_correction_is_a_new_version() -> None:
    world = province_world()
    household(world)
    fact = f.FamilyEvidenceSubmitted(household_id="hh-1", year=2024, evidence=family_evidence())
    assert apply(world, fact, minutes=1).status == "applied"
    assert world.registrations[(Title.LEARNING_FAMILY, "hh-1", 2024)].registered
    assert apply(world, fact, minutes=2).status == "unchanged"
    corrected = f.FamilyEvidenceSubmitted(household_id="hh-1", year=2024, evidence=family_evidence(adults_learning=0))
    assert apply(world, corrected, minutes=3).status == "applied"
    assert world.evidence[(Title.LEARNING_FAMILY, "hh-1", 2024)].version == 2


def test_evidence_out_of_range_is_refused_with_the_reason() -> None:
    world = province_world()
    household(world)
    early = apply(world, f.FamilyEvidenceSubmitted(household_id="hh-1", year=2019, evidence=family_evidence()))
    future = apply(world, f.FamilyEvidenceSubmitted(household_id="hh-1", year=2027, evidence=family_evidence()))
    assert "2019 predates household hh-1" in (early.reason or "")
    assert "2027 is in the future" in (future.reason or "")


def test_community_evidence_is_for_hamlets_only() -> None:
    evidence = f.CommunityEvidence(learning_activities=4, community_learning_centre_sessions=10, has_reading_space=True,
                                   cultural_residential_area=True, school_age_enrolment_percent=99.0)
    result = apply(province_world(), f.CommunityEvidenceSubmitted(hamlet_code="29401", year=2024, evidence=evidence))
    assert result.status == "rejected" and "for hamlets" in (result.reason or "")
