"""Registry events for recognition tests: snapshots and evidence of all five titles, and a small
province (hamlets, households, citizens, a clan and a unit) with facts over two years."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.events.base import EventData
from shared.events.catalogue import (
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_CITIZENS,
    REGISTRY_CLANS,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_UNITS,
    TopicSpec,
)
from shared.events.inbound import CitizenEvidence, ClanEvidence, CommunityEvidence, UnitEvidence
from shared.events.registry import (
    AdministrativeUnitChanged,
    CitizenChanged,
    CitizenEvidenceRecorded,
    ClanChanged,
    ClanEvidenceRecorded,
    CommunityEvidenceRecorded,
    FamilyEvidenceRecorded,
    HouseholdChanged,
    Period,
    UnitChanged,
    UnitEvidenceRecorded,
)
from shared.events.vocabulary import Level
from shared.testing import family_evidence

PROVINCE, COMMUNE = "84", "29401"
HAMLETS = ("29401-01", "29401-02")
TEN = (
    "reads_and_updates_information",
    "has_learning_plan",
    "makes_time_for_cultural_activities",
    "encourages_others_to_learn",
    "uses_it_for_work",
    "uses_foreign_language_for_work",
    "uses_numeracy_for_work",
    "thinks_critically",
    "keeps_friendly_relations",
    "cooperates_and_shares",
)


def area(
    code: str, level: Level, parent: str | None, version: int = 1
) -> AdministrativeUnitChanged:
    return AdministrativeUnitChanged(
        code=code,
        level=level,
        name=f"Area {code}",
        parent_code=parent,
        province_code=PROVINCE,
        valid_from=date(2020, 1, 1),
        version=version,
    )


def household(
    hid: str,
    hamlet: str,
    *,
    version: int = 1,
    clan: str | None = None,
    removed: date | None = None,
    history: tuple[tuple[str, str, str | None], ...] = (),
    registered: date = date(2020, 1, 1),
) -> HouseholdChanged:
    periods = tuple(
        Period(
            code=c, valid_from=date.fromisoformat(a), valid_to=date.fromisoformat(b) if b else None
        )
        for c, a, b in history
    )
    return HouseholdChanged(
        household_id=hid,
        hamlet_code=hamlet,
        commune_code=COMMUNE,
        province_code=PROVINCE,
        hamlet_history=periods,
        registered_on=registered,
        removed_on=removed,
        clan_id=clan,
        version=version,
    )


def citizen(
    cid: str,
    household_id: str | None,
    *,
    born: int = 1980,
    units: tuple[str, ...] = (),
    version: int = 1,
    removed: date | None = None,
) -> CitizenChanged:
    return CitizenChanged(
        citizen_id=cid,
        birth_year=born,
        household_id=household_id,
        unit_ids=units,
        removed_on=removed,
        version=version,
    )


def citizen_evidence(
    cid: str, year: int, *, passed: bool | None = None, version: int = 1, **indicators: Any
) -> CitizenEvidenceRecorded:
    values: dict[str, Any] = {name: True for name in TEN}
    values.update(indicators)
    if passed is not None:
        values["national_self_assessment_passed"] = passed
    return CitizenEvidenceRecorded(
        citizen_id=cid, year=year, evidence=CitizenEvidence(**values), version=version
    )


def family(hid: str, year: int, *, version: int = 1, **changes: Any) -> FamilyEvidenceRecorded:
    return FamilyEvidenceRecorded(
        household_id=hid, year=year, evidence=family_evidence(**changes), version=version
    )


def clan(cid: str, version: int = 1) -> ClanChanged:
    return ClanChanged(
        clan_id=cid,
        name=f"Họ {cid}",
        home_commune_code=COMMUNE,
        home_hamlet_code=HAMLETS[0],
        province_code=PROVINCE,
        registered_on=date(2020, 1, 1),
        version=version,
    )


def clan_evidence(cid: str, year: int, version: int = 1, **changes: Any) -> ClanEvidenceRecorded:
    values: dict[str, Any] = {
        "has_promotion_board": True,
        "learning_fund_vnd": 10_000_000,
        "students_rewarded": 3,
        "learning_activities": 4,
        "no_member_family_in_social_evils": True,
    }
    values.update(changes)
    return ClanEvidenceRecorded(
        clan_id=cid, year=year, evidence=ClanEvidence(**values), version=version
    )


def community(code: str, year: int, version: int = 1, **changes: Any) -> CommunityEvidenceRecorded:
    values: dict[str, Any] = {
        "learning_activities": 6,
        "community_learning_centre_sessions": 5,
        "has_reading_space": True,
        "cultural_residential_area": True,
        "school_age_enrolment_percent": 98.0,
    }
    values.update(changes)
    return CommunityEvidenceRecorded(
        hamlet_code=code, year=year, evidence=CommunityEvidence(**values), version=version
    )


def unit(uid: str, members: int, version: int = 1) -> UnitChanged:
    return UnitChanged(
        unit_id=uid,
        name=f"Unit {uid}",
        kind="school",
        commune_code=COMMUNE,
        province_code=PROVINCE,
        member_count=members,
        registered_on=date(2020, 1, 1),
        version=version,
    )


def unit_evidence(
    uid: str, year: int, members: int, version: int = 1, **changes: Any
) -> UnitEvidenceRecorded:
    values: dict[str, Any] = {
        "has_learning_plan": True,
        "has_learning_rules": True,
        "invests_in_learning": True,
        "members": members,
        "members_with_self_study_plan": members,
        "members_following_discipline": members,
        "members_completing_training": members,
        "members_learning_citizens": None,
        "emulation_title": True,
        "digital_transformation_basic": True,
    }
    values.update(changes)
    return UnitEvidenceRecorded(
        unit_id=uid, year=year, evidence=UnitEvidence(**values), version=version
    )


TOPIC_OF: dict[type, tuple[TopicSpec, str]] = {
    AdministrativeUnitChanged: (REGISTRY_ADMINISTRATIVE_UNITS, "code"),
    CommunityEvidenceRecorded: (REGISTRY_ADMINISTRATIVE_UNITS, "hamlet_code"),
    HouseholdChanged: (REGISTRY_HOUSEHOLDS, "household_id"),
    FamilyEvidenceRecorded: (REGISTRY_HOUSEHOLDS, "household_id"),
    CitizenChanged: (REGISTRY_CITIZENS, "citizen_id"),
    CitizenEvidenceRecorded: (REGISTRY_CITIZENS, "citizen_id"),
    ClanChanged: (REGISTRY_CLANS, "clan_id"),
    ClanEvidenceRecorded: (REGISTRY_CLANS, "clan_id"),
    UnitChanged: (REGISTRY_UNITS, "unit_id"),
    UnitEvidenceRecorded: (REGISTRY_UNITS, "unit_id"),
}


def routed(event: EventData) -> tuple[TopicSpec, str]:
    """The topic an event travels on and its key."""
    topic, key = TOPIC_OF[type(event)]
    return topic, getattr(event, key)


def province_history(years: tuple[int, ...] = (2024, 2025)) -> list[EventData]:
    """Two hamlets, twelve households (a clan of six), two adults each, a unit of eight members;
    evidence for every title in each year; a move, a removal, corrections and late facts."""
    events: list[EventData] = [
        area(PROVINCE, Level.PROVINCE, None),
        area(COMMUNE, Level.COMMUNE, PROVINCE),
    ]
    events += [area(h, Level.HAMLET, COMMUNE) for h in HAMLETS]
    events += [clan("clan-1"), unit("unit-1", members=8)]
    for n in range(12):
        hid = f"hh-{n}"
        events.append(household(hid, HAMLETS[n % 2], clan="clan-1" if n < 6 else None))
        for adult in range(2):
            cid = f"c-{n}-{adult}"
            events.append(citizen(cid, hid, units=("unit-1",) if n < 4 else ()))
            for year in years:
                failing = (n + year) % 3 == 0 or (adult == 1 and n % 4 == 1)
                events.append(
                    citizen_evidence(
                        cid,
                        year,
                        uses_it_for_work=not failing,
                        thinks_critically=not failing,
                        has_learning_plan=not failing,
                        encourages_others_to_learn=not failing,
                    )
                )
        for year in years:
            # Even households sit on the threshold: from 2025 they pass only if one adult in two
            # holds Learning Citizen; one in four misses it in 2024 as well.
            events.append(
                family(
                    hid,
                    year,
                    adults_learning_citizens=None,
                    cultural_family=n % 2 == 1,
                    has_internet_for_learning=n % 2 == 1,
                    livelihood_improved=(n + year) % 4 != 0,
                )
            )
    for year in years:
        events += [
            community(h, year, has_reading_space=False, cultural_residential_area=False)
            for h in HAMLETS
        ]
        events += [
            clan_evidence("clan-1", year),
            unit_evidence("unit-1", year, members=8, emulation_title=year == 2024),
        ]
    # A household moves hamlet in mid-2025, one is removed in 2025, a citizen changes household,
    # a family correction, a unit resized, and a citizen's evidence corrected.
    events.append(
        household(
            "hh-0",
            HAMLETS[1],
            version=2,
            clan="clan-1",
            history=(("29401-01", "2020-01-01", "2025-06-30"), ("29401-02", "2025-07-01", None)),
        )
    )
    events.append(household("hh-3", HAMLETS[1], version=2, removed=date(2025, 3, 1), clan="clan-1"))
    events.append(citizen("c-5-1", "hh-6", version=2))
    events.append(
        family(
            "hh-2",
            years[-1],
            version=2,
            adults_learning_citizens=None,
            cultural_family=False,
            livelihood_improved=False,
        )
    )
    events.append(unit("unit-1", members=10, version=2))
    events.append(
        citizen_evidence("c-1-1", years[-1], version=2, passed=True, uses_it_for_work=None)
    )
    return events
