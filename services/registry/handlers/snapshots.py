"""Entity -> snapshot event on the entity's topic."""

from __future__ import annotations

from typing import Any

from shared.events import registry as out
from shared.events.catalogue import (
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_CITIZENS,
    REGISTRY_CLANS,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_UNITS,
    TopicSpec,
)
from shared.events.inbound import CitizenEvidence, ClanEvidence, CommunityEvidence, FamilyEvidence, UnitEvidence
from shared.events.vocabulary import Title
from shared.outbox import Outgoing

from ..domain.model import AdministrativeUnit, Citizen, Clan, Evidence, Household, Period, Registration, Unit

TITLE_TOPIC: dict[Title, TopicSpec] = {
    Title.LEARNING_FAMILY: REGISTRY_HOUSEHOLDS,
    Title.LEARNING_CITIZEN: REGISTRY_CITIZENS,
    Title.LEARNING_CLAN: REGISTRY_CLANS,
    Title.LEARNING_COMMUNITY: REGISTRY_ADMINISTRATIVE_UNITS,
    Title.LEARNING_UNIT: REGISTRY_UNITS,
}


def _periods(periods: tuple[Period, ...]) -> tuple[out.Period, ...]:
    return tuple(out.Period(code=p.code, valid_from=p.valid_from, valid_to=p.valid_to) for p in periods)


def snapshot(kind: str, entity: Any, *, seed_prefix: str = "registry", correlation: str | None = None) -> Outgoing:
    topic, key, data = _event(kind, entity)
    version = getattr(data, "version")
    return Outgoing(topic, key, data, id_seed=f"{seed_prefix}/{kind}/{key}/{_suffix(kind, entity)}{version}", correlation_id=correlation)


def _suffix(kind: str, entity: Any) -> str:
    if kind in ("registration", "evidence"):
        return f"{entity.title.value}/{entity.year}/"
    return ""


def _event(kind: str, e: Any) -> tuple[TopicSpec, str, Any]:
    if kind == "unit":
        u: AdministrativeUnit = e
        return REGISTRY_ADMINISTRATIVE_UNITS, u.code, out.AdministrativeUnitChanged(
            code=u.code, level=u.level, name=u.name, kind=u.kind, parent_code=u.parent_code,
            parent_history=_periods(u.parent_history), province_code=u.province_code, valid_from=u.valid_from,
            valid_to=u.valid_to, successor_code=u.successor_code, version=u.version,
        )
    if kind == "household":
        h: Household = e
        return REGISTRY_HOUSEHOLDS, h.household_id, out.HouseholdChanged(
            household_id=h.household_id, hamlet_code=h.hamlet_code, commune_code=h.commune_code,
            province_code=h.province_code, hamlet_history=_periods(h.hamlet_history), registered_on=h.registered_on,
            removed_on=h.removed_on, clan_id=h.clan_id, head_citizen_id=h.head_citizen_id, version=h.version,
        )
    if kind == "citizen":
        c: Citizen = e
        return REGISTRY_CITIZENS, c.citizen_id, out.CitizenChanged(
            citizen_id=c.citizen_id, birth_year=c.birth_year, household_id=c.household_id, unit_ids=c.unit_ids,
            has_national_id=c.national_id_hmac is not None, removed_on=c.removed_on, version=c.version,
        )
    if kind == "clan":
        k: Clan = e
        return REGISTRY_CLANS, k.clan_id, out.ClanChanged(
            clan_id=k.clan_id, name=k.name, home_commune_code=k.home_commune_code, home_hamlet_code=k.home_hamlet_code,
            commune_history=_periods(k.commune_history), province_code=k.province_code, registered_on=k.registered_on,
            version=k.version,
        )
    if kind == "learning_unit":
        n: Unit = e
        return REGISTRY_UNITS, n.unit_id, out.UnitChanged(
            unit_id=n.unit_id, name=n.name, kind=n.kind, commune_code=n.commune_code,
            commune_history=_periods(n.commune_history), province_code=n.province_code, member_count=n.member_count,
            registered_on=n.registered_on, version=n.version,
        )
    if kind == "registration":
        g: Registration = e
        return TITLE_TOPIC[g.title], g.entity_id, out.TitleRegistrationChanged(
            title=g.title, entity_id=g.entity_id, year=g.year, registered=g.registered, version=g.version
        )
    return TITLE_TOPIC[e.title], e.entity_id, _evidence_event(e)


def _evidence_event(e: Evidence) -> Any:
    if e.title == Title.LEARNING_FAMILY:
        return out.FamilyEvidenceRecorded(household_id=e.entity_id, year=e.year, evidence=FamilyEvidence.model_validate(e.facts), version=e.version)
    if e.title == Title.LEARNING_CITIZEN:
        return out.CitizenEvidenceRecorded(citizen_id=e.entity_id, year=e.year, evidence=CitizenEvidence.model_validate(e.facts), version=e.version)
    if e.title == Title.LEARNING_CLAN:
        return out.ClanEvidenceRecorded(clan_id=e.entity_id, year=e.year, evidence=ClanEvidence.model_validate(e.facts), version=e.version)
    if e.title == Title.LEARNING_COMMUNITY:
        return out.CommunityEvidenceRecorded(hamlet_code=e.entity_id, year=e.year, evidence=CommunityEvidence.model_validate(e.facts), version=e.version)
    return out.UnitEvidenceRecorded(unit_id=e.entity_id, year=e.year, evidence=UnitEvidence.model_validate(e.facts), version=e.version)
