"""Facts that other government systems publish to the registry (topic `registry.inbound.v1`).

Publishers set the CloudEvents headers themselves (binary mode, see `shared.events.envelope`):
`ce_id` unique per `ce_source`, `ce_time` when the fact was recorded at the source, and the record
key = the entity the fact is about (household id, or area code), so facts about one entity stay in
order.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import Field, model_validator

from .base import EventData, ValueData, event_type
from .vocabulary import AreaCode, AreaName, AssessmentYear, EntityId, Level


class AdministrativeUnitRegistered(EventData):
    """A province, district, commune or hamlet exists from `valid_from`."""

    TYPE = event_type("inbound", "administrative-unit-registered")

    code: AreaCode
    level: Literal[Level.PROVINCE, Level.DISTRICT, Level.COMMUNE, Level.HAMLET]
    name: AreaName
    parent_code: AreaCode | None = Field(
        default=None, description="The enclosing unit; required for every level below province."
    )
    valid_from: date

    @model_validator(mode="after")
    def _parent_matches_level(self) -> Self:
        if self.level == Level.PROVINCE and self.parent_code is not None:
            raise ValueError("a province has no parent_code")
        if self.level != Level.PROVINCE and self.parent_code is None:
            raise ValueError(f"a {self.level.value} needs a parent_code")
        return self


class HouseholdRegistered(EventData):
    """A household lives in a hamlet from `registered_on` (registration with the commune)."""

    TYPE = event_type("inbound", "household-registered")

    household_id: EntityId
    hamlet_code: AreaCode
    registered_on: date


class FamilyEvidence(ValueData):
    """What the Learning Family criteria read for one household and one year.

    Counts are of people in the household; the criteria (448/QĐ-KHVN structure) turn them into
    points. Children are those of compulsory-school age in the year.
    """

    school_age_children: int = Field(ge=0, le=30)
    children_in_school: int = Field(ge=0, le=30, description="Attending or completed compulsory schooling.")
    children_exempt: int = Field(
        default=0, ge=0, le=30, description="Excused by illness, disability or inability to learn."
    )
    children_results_satisfactory: int = Field(
        ge=0, le=30, description="Results at least 'trung bình' (primary: 'đạt yêu cầu')."
    )
    children_good_conduct: int = Field(ge=0, le=30, description="Conduct at least 'Khá'.")
    adults: int = Field(ge=1, le=50)
    adults_learning: int = Field(
        ge=0, le=50, description="Adults who took part in at least one learning activity this year."
    )
    adults_learning_citizens: int | None = Field(
        default=None, ge=0, le=50, description="Adults holding the Learning Citizen title, if known."
    )
    has_books_and_study_corner: bool
    has_internet_for_learning: bool
    cultural_family: bool = Field(description="Recognised 'Gia đình văn hóa' this year.")
    livelihood_improved: bool = Field(description="Learning improved the family's work or income.")
    takes_part_in_community_learning: bool

    @model_validator(mode="after")
    def _counts_fit(self) -> Self:
        children = self.school_age_children
        for name in (
            "children_in_school",
            "children_exempt",
            "children_results_satisfactory",
            "children_good_conduct",
        ):
            if getattr(self, name) > children:
                raise ValueError(f"{name} ({getattr(self, name)}) exceeds school_age_children ({children})")
        if self.children_in_school + self.children_exempt > children:
            raise ValueError("children_in_school + children_exempt exceeds school_age_children")
        for name in ("adults_learning", "adults_learning_citizens"):
            value = getattr(self, name)
            if value is not None and value > self.adults:
                raise ValueError(f"{name} ({value}) exceeds adults ({self.adults})")
        return self


class FamilyEvidenceSubmitted(EventData):
    """A household registered for Learning Family in `year` and this is its evidence."""

    TYPE = event_type("inbound", "family-evidence-submitted")

    household_id: EntityId
    year: AssessmentYear
    evidence: FamilyEvidence


INBOUND_TYPES: tuple[type[EventData], ...] = (
    AdministrativeUnitRegistered,
    HouseholdRegistered,
    FamilyEvidenceSubmitted,
)
