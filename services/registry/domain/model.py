"""The registry's entities and the rules for applying inbound facts to them.

Every function here is pure: it receives the current state (None when absent) and the fact, and
returns the new state, None when the fact changes nothing, or raises Refused with a reason the
publisher can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from shared.events.inbound import (
    AdministrativeUnitRegistered,
    FamilyEvidence,
    FamilyEvidenceSubmitted,
    HouseholdRegistered,
)
from shared.events.vocabulary import Level

PARENT_LEVELS: dict[Level, tuple[Level, ...]] = {
    Level.PROVINCE: (),
    Level.DISTRICT: (Level.PROVINCE,),
    Level.COMMUNE: (Level.DISTRICT, Level.PROVINCE),
    Level.HAMLET: (Level.COMMUNE,),
}


class Refused(Exception):
    """A fact the registry will not apply; `code` is `unknown_reference` or `invalid_fact`."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AdministrativeUnit:
    code: str
    level: Level
    name: str
    parent_code: str | None
    province_code: str
    commune_code: str | None
    valid_from: date
    valid_to: date | None
    version: int


@dataclass(frozen=True, slots=True)
class Household:
    household_id: str
    hamlet_code: str
    commune_code: str
    province_code: str
    registered_on: date
    removed_on: date | None
    version: int


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    household_id: str
    year: int
    evidence: FamilyEvidence
    version: int


def register_unit(
    existing: AdministrativeUnit | None,
    parent: AdministrativeUnit | None,
    fact: AdministrativeUnitRegistered,
) -> AdministrativeUnit | None:
    """Create or update an administrative unit under an already registered parent."""
    if fact.parent_code is not None:
        if parent is None:
            raise Refused("unknown_reference", f"parent unit {fact.parent_code} is not registered")
        allowed = PARENT_LEVELS[fact.level]
        if parent.level not in allowed:
            raise Refused(
                "invalid_fact",
                f"a {fact.level.value} cannot sit under a {parent.level.value} "
                f"({fact.parent_code}); expected {' or '.join(level.value for level in allowed)}",
            )
    if existing is not None and existing.level != fact.level:
        raise Refused(
            "invalid_fact",
            f"unit {fact.code} is registered as a {existing.level.value}, not a {fact.level.value}",
        )
    province_code = parent.province_code if parent else fact.code
    commune_code = fact.code if fact.level == Level.COMMUNE else (parent.code if fact.level == Level.HAMLET and parent else None)
    candidate = AdministrativeUnit(
        code=fact.code,
        level=fact.level,
        name=fact.name,
        parent_code=fact.parent_code,
        province_code=province_code,
        commune_code=commune_code,
        valid_from=fact.valid_from,
        valid_to=existing.valid_to if existing else None,
        version=existing.version + 1 if existing else 1,
    )
    if existing is not None and replace(candidate, version=existing.version) == existing:
        return None
    return candidate


def register_household(
    existing: Household | None, hamlet: AdministrativeUnit | None, fact: HouseholdRegistered
) -> Household | None:
    """Place a household in a registered hamlet (a second registration elsewhere is a move)."""
    if hamlet is None:
        raise Refused("unknown_reference", f"hamlet {fact.hamlet_code} is not registered")
    if hamlet.level != Level.HAMLET:
        raise Refused("invalid_fact", f"{fact.hamlet_code} is a {hamlet.level.value}, not a hamlet")
    if hamlet.commune_code is None:
        raise Refused("invalid_fact", f"hamlet {fact.hamlet_code} has no commune")
    candidate = Household(
        household_id=fact.household_id,
        hamlet_code=hamlet.code,
        commune_code=hamlet.commune_code,
        province_code=hamlet.province_code,
        registered_on=existing.registered_on if existing else fact.registered_on,
        removed_on=None,
        version=existing.version + 1 if existing else 1,
    )
    if existing is not None and replace(candidate, version=existing.version) == existing:
        return None
    return candidate


def record_evidence(
    household: Household | None,
    existing: EvidenceRecord | None,
    fact: FamilyEvidenceSubmitted,
    *,
    today: date,
) -> EvidenceRecord | None:
    """Keep a household's evidence for a year; a later submission for the same year corrects it."""
    if household is None:
        raise Refused("unknown_reference", f"household {fact.household_id} is not registered")
    if fact.year < household.registered_on.year:
        raise Refused(
            "invalid_fact",
            f"evidence for {fact.year} predates the household's registration "
            f"({household.registered_on.isoformat()})",
        )
    if fact.year > today.year:
        raise Refused("invalid_fact", f"evidence for {fact.year} is in the future")
    if existing is not None and existing.evidence == fact.evidence:
        return None
    return EvidenceRecord(
        household_id=fact.household_id,
        year=fact.year,
        evidence=fact.evidence,
        version=existing.version + 1 if existing else 1,
    )
