"""Registry and recognition events for metrics tests, built the way the contract describes them."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.events.base import EventData
from shared.events.catalogue import (
    RECOGNITION_DECISIONS,
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_CITIZENS,
    REGISTRY_CLANS,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_UNITS,
    TopicSpec,
)
from shared.events.recognition import TitleDecided
from shared.events.registry import (
    AdministrativeUnitChanged,
    CitizenChanged,
    ClanChanged,
    HouseholdChanged,
    Period,
    TitleRegistrationChanged,
    UnitChanged,
)
from shared.events.vocabulary import Level, Title
from shared.testing import FakeRecord, received, record_of

SINCE = date(2015, 1, 1)
KINDS = {
    Title.LEARNING_FAMILY: "household",
    Title.LEARNING_CITIZEN: "citizen",
    Title.LEARNING_CLAN: "clan",
    Title.LEARNING_COMMUNITY: "hamlet",
    Title.LEARNING_UNIT: "unit",
}
REGISTRATION_TOPIC = {
    Title.LEARNING_FAMILY: REGISTRY_HOUSEHOLDS,
    Title.LEARNING_CITIZEN: REGISTRY_CITIZENS,
    Title.LEARNING_CLAN: REGISTRY_CLANS,
    Title.LEARNING_COMMUNITY: REGISTRY_ADMINISTRATIVE_UNITS,
    Title.LEARNING_UNIT: REGISTRY_UNITS,
}


def period(code: str, start: str, end: str | None = None) -> Period:
    return Period(
        code=code,
        valid_from=date.fromisoformat(start),
        valid_to=date.fromisoformat(end) if end else None,
    )


def area(
    code: str, level: Level, parent: str | None, province: str = "84", **changes: Any
) -> AdministrativeUnitChanged:
    values: dict[str, Any] = {
        "code": code,
        "level": level,
        "name": f"{level.value} {code}",
        "parent_code": parent,
        "province_code": province,
        "valid_from": SINCE,
        "version": 1,
    }
    return AdministrativeUnitChanged(**{**values, **changes})


def household(
    number: int | str,
    hamlet: str,
    *,
    registered: str = "2020-01-01",
    removed: str | None = None,
    version: int = 1,
    history: tuple[Period, ...] = (),
) -> HouseholdChanged:
    return HouseholdChanged(
        household_id=f"hh-{number}",
        hamlet_code=hamlet,
        commune_code=hamlet.split("-")[0],
        province_code="84",
        hamlet_history=history,
        registered_on=date.fromisoformat(registered),
        removed_on=date.fromisoformat(removed) if removed else None,
        version=version,
    )


def citizen(
    number: int, household_number: int | str, *, birth_year: int = 1990, version: int = 1
) -> CitizenChanged:
    return CitizenChanged(
        citizen_id=f"ct-{number}",
        birth_year=birth_year,
        household_id=f"hh-{household_number}",
        version=version,
    )


def clan(
    number: int, commune: str, *, history: tuple[Period, ...] = (), version: int = 1
) -> ClanChanged:
    return ClanChanged(
        clan_id=f"clan-{number}",
        name=f"Họ {number}",
        home_commune_code=commune,
        commune_history=history,
        province_code="84",
        registered_on=date(2018, 1, 1),
        version=version,
    )


def unit(number: int, commune: str, *, version: int = 1) -> UnitChanged:
    return UnitChanged(
        unit_id=f"unit-{number}",
        name=f"Đơn vị {number}",
        kind="school",
        commune_code=commune,
        province_code="84",
        member_count=20,
        registered_on=date(2018, 1, 1),
        version=version,
    )


def decision(
    title: Title,
    entity: str,
    year: int,
    granted: bool,
    *,
    revision: int = 1,
    rule_version: str = "2016.1",
    effective: str = "2016-01-01",
    assessable: bool = True,
) -> TitleDecided:
    return TitleDecided(
        title=title,
        entity_kind=KINDS[title],
        entity_id=entity,
        year=year,
        assessable=assessable,
        granted=granted,
        total_points=90 if granted else 50,
        max_points=100,
        threshold=80,
        criteria=(),
        unmet=(),
        rule_set_id=title.value,
        rule_version=rule_version,
        rule_effective_from=date.fromisoformat(effective),
        revision=revision,
    )


def family_decision(number: int | str, year: int, granted: bool, **options: Any) -> TitleDecided:
    return decision(Title.LEARNING_FAMILY, f"hh-{number}", year, granted, **options)


def registration(
    title: Title, entity: str, year: int, registered: bool = True, version: int = 1
) -> TitleRegistrationChanged:
    return TitleRegistrationChanged(
        title=title, entity_id=entity, year=year, registered=registered, version=version
    )


def topic_of(data: EventData) -> TopicSpec:
    if isinstance(data, TitleDecided):
        return RECOGNITION_DECISIONS
    if isinstance(data, TitleRegistrationChanged):
        return REGISTRATION_TOPIC[data.title]
    return {
        AdministrativeUnitChanged: REGISTRY_ADMINISTRATIVE_UNITS,
        HouseholdChanged: REGISTRY_HOUSEHOLDS,
        CitizenChanged: REGISTRY_CITIZENS,
        ClanChanged: REGISTRY_CLANS,
        UnitChanged: REGISTRY_UNITS,
    }[type(data)]


def key_of(data: Any) -> str:
    for name in ("entity_id", "household_id", "citizen_id", "clan_id", "unit_id", "code"):
        if hasattr(data, name):
            return str(getattr(data, name))
    raise ValueError(f"no key for {type(data).__name__}")


def as_record(data: EventData, seed: str | None = None) -> FakeRecord:
    return record_of(topic_of(data), key_of(data), data, seed=seed)


def as_received(data: EventData) -> Any:
    return received(topic_of(data), key_of(data), data)


def province_map() -> list[AdministrativeUnitChanged]:
    """Province 84, district 847, communes 29398 and 29401 (two and one hamlets), before any reform."""
    return [
        area("84", Level.PROVINCE, None),
        area("847", Level.DISTRICT, "84"),
        area("29398", Level.COMMUNE, "847"),
        area("29401", Level.COMMUNE, "847"),
        area("29398-01", Level.HAMLET, "29398"),
        area("29398-02", Level.HAMLET, "29398"),
        area("29401-01", Level.HAMLET, "29401"),
    ]
