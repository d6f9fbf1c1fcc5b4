"""Events the registry publishes: state snapshots of the entities it owns.

Each event carries the entity's whole current state and a `version` that grows with every change,
so a consumer keeps the highest version it has seen and may receive them in any order or twice.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from .base import EventData, event_type
from .inbound import FamilyEvidence
from .vocabulary import AreaCode, AreaName, AssessmentYear, EntityId, Level, Version


class AdministrativeUnitChanged(EventData):
    """An administrative unit as the registry now knows it (key: its code)."""

    TYPE = event_type("registry", "administrative-unit-changed")

    code: AreaCode
    level: Level
    name: AreaName
    parent_code: AreaCode | None
    province_code: AreaCode
    valid_from: date
    valid_to: date | None = None
    version: Version


class HouseholdChanged(EventData):
    """A household's place in the hierarchy and its life span (key: household id)."""

    TYPE = event_type("registry", "household-changed")

    household_id: EntityId
    hamlet_code: AreaCode
    commune_code: AreaCode
    province_code: AreaCode
    registered_on: date
    removed_on: date | None = None
    version: Version


class FamilyEvidenceRecorded(EventData):
    """A household's Learning Family evidence for one year (key: household id)."""

    TYPE = event_type("registry", "family-evidence-recorded")

    household_id: EntityId
    year: AssessmentYear
    evidence: FamilyEvidence
    version: Version = Field(description="Grows with each correction of this household-year.")
