"""Events the registry publishes: state snapshots of the entities it owns, and its refusals.

Each snapshot carries the entity's whole current state, its history where the 2025 reform or a
move needs it, and a `version` that grows with every change. A consumer keeps the highest version
it has seen, so snapshots may arrive in any order or twice. Everything about one entity travels on
that entity's topic under its key: snapshots, yearly evidence and title registrations.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from .base import EventData, ValueData, event_type
from .inbound import AreaKind, CitizenEvidence, ClanEvidence, CommunityEvidence, FamilyEvidence, UnitEvidence, UnitKind
from .vocabulary import AreaCode, AreaName, AssessmentYear, EntityId, Level, Title, Version


class Period(ValueData):
    """Where something was between two dates (valid_to inclusive; null = still)."""

    code: AreaCode
    valid_from: date
    valid_to: date | None = None


class AdministrativeUnitChanged(EventData):
    """An administrative unit as the registry now knows it (key: its code).

    `parent_history` lists every parent the unit had (a hamlet moved under a merged commune has
    two), `successor_code` the unit it was merged into: together they are the reform crosswalk.
    """

    TYPE = event_type("registry", "administrative-unit-changed")

    code: AreaCode
    level: Level
    name: AreaName
    kind: AreaKind | None = None
    parent_code: AreaCode | None
    parent_history: tuple[Period, ...] = ()
    province_code: AreaCode = Field(description="The province it belongs to now (or last, if closed).")
    valid_from: date
    valid_to: date | None = None
    successor_code: AreaCode | None = None
    version: Version


class HouseholdChanged(EventData):
    """A household's place, life span, clan and head (key: household id)."""

    TYPE = event_type("registry", "household-changed")

    household_id: EntityId
    hamlet_code: AreaCode
    commune_code: AreaCode
    province_code: AreaCode
    hamlet_history: tuple[Period, ...] = Field(default=(), description="Every hamlet it lived in, with dates.")
    registered_on: date
    removed_on: date | None = None
    clan_id: EntityId | None = None
    head_citizen_id: EntityId | None = None
    version: Version


class CitizenChanged(EventData):
    """A citizen's household and units (key: citizen id). Never carries a national ID."""

    TYPE = event_type("registry", "citizen-changed")

    citizen_id: EntityId
    birth_year: int
    household_id: EntityId | None = None
    unit_ids: tuple[EntityId, ...] = ()
    has_national_id: bool = False
    removed_on: date | None = None
    version: Version


class ClanChanged(EventData):
    """A clan's home (key: clan id); its member households name it in HouseholdChanged.clan_id."""

    TYPE = event_type("registry", "clan-changed")

    clan_id: EntityId
    name: AreaName
    home_commune_code: AreaCode
    home_hamlet_code: AreaCode | None = None
    commune_history: tuple[Period, ...] = ()
    province_code: AreaCode
    registered_on: date
    version: Version


class UnitChanged(EventData):
    """A learning unit's commune and size (key: unit id); members name it in CitizenChanged.unit_ids."""

    TYPE = event_type("registry", "unit-changed")

    unit_id: EntityId
    name: AreaName
    kind: UnitKind
    commune_code: AreaCode
    commune_history: tuple[Period, ...] = ()
    province_code: AreaCode
    member_count: int
    registered_on: date
    version: Version


class TitleRegistrationChanged(EventData):
    """Whether an entity is registered for a title in a year (on the entity's own topic)."""

    TYPE = event_type("registry", "title-registration-changed")

    title: Title
    entity_id: EntityId
    year: AssessmentYear
    registered: bool
    version: Version


class FamilyEvidenceRecorded(EventData):
    """A household's Learning Family evidence for one year (key: household id)."""

    TYPE = event_type("registry", "family-evidence-recorded")

    household_id: EntityId
    year: AssessmentYear
    evidence: FamilyEvidence
    version: Version = Field(description="Grows with each correction of this household-year.")


class CitizenEvidenceRecorded(EventData):
    """A citizen's Learning Citizen evidence for one year (key: citizen id)."""

    TYPE = event_type("registry", "citizen-evidence-recorded")

    citizen_id: EntityId
    year: AssessmentYear
    evidence: CitizenEvidence
    version: Version


class ClanEvidenceRecorded(EventData):
    """A clan's evidence for one year (key: clan id)."""

    TYPE = event_type("registry", "clan-evidence-recorded")

    clan_id: EntityId
    year: AssessmentYear
    evidence: ClanEvidence
    version: Version


class CommunityEvidenceRecorded(EventData):
    """A hamlet's community learning evidence (on the administrative-unit topic, key: hamlet code)."""

    TYPE = event_type("registry", "community-evidence-recorded")

    hamlet_code: AreaCode
    year: AssessmentYear
    evidence: CommunityEvidence
    version: Version


class UnitEvidenceRecorded(EventData):
    """A learning unit's evidence for one year (key: unit id)."""

    TYPE = event_type("registry", "unit-evidence-recorded")

    unit_id: EntityId
    year: AssessmentYear
    evidence: UnitEvidence
    version: Version


class InboundRejected(EventData):
    """The registry refused a fact (key: the publisher's event id), so the publisher can correct it."""

    TYPE = event_type("registry", "inbound-rejected")

    rejected_id: str = Field(description="The ce_id of the refused record ('' when it had none).")
    rejected_source: str = Field(description="The ce_source of the refused record ('' when it had none).")
    rejected_type: str | None = None
    reason_code: str = Field(description="malformed_envelope, unknown_type, invalid_data, unknown_reference, "
                             "invalid_fact, not_authorised, stale or expired_waiting")
    reason: str
    topic: str
    partition: int
    offset: int


