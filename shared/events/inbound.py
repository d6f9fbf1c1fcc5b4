"""Facts that other government systems publish to the registry (topic `registry.inbound.v1`).

Publishers set the CloudEvents headers themselves (binary mode, see `shared.events.envelope`):
`ce_id` unique per `ce_source`, `ce_time` when the fact was recorded at the source (the registry
ignores a fact older than what it already holds for the entity), and the record key = the entity
the fact is about (household, citizen, clan or unit id), so facts about one entity stay in order.
Facts about administrative units travel on their province's code: the whole hierarchy on one
partition, in order, so a commune is applied before its hamlets (keyed by their own code they
still apply, after waiting for their parent). One type per fact; the registry answers every refusal on
`registry.inbound-rejected.v1`, keyed by the publisher's event id.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import Field, model_validator

from .base import EventData, ValueData, event_type
from .vocabulary import AreaCode, AreaName, AssessmentYear, EntityId, Level, Title

AreaLevel = Literal[Level.PROVINCE, Level.DISTRICT, Level.COMMUNE, Level.HAMLET]
AreaKind = Literal[
    "tinh", "thanh_pho_truc_thuoc_tw", "huyen", "quan", "thi_xa", "thanh_pho_thuoc_tinh",
    "xa", "phuong", "thi_tran", "dac_khu", "ap", "khom", "thon", "ban", "to_dan_pho", "other",
]
UnitKind = Literal["agency", "school", "enterprise", "production_facility", "other"]


# --- administrative units -------------------------------------------------------------------


class AdministrativeUnitRegistered(EventData):
    """A province, district, commune or hamlet exists from `valid_from`."""

    TYPE = event_type("inbound", "administrative-unit-registered")

    code: AreaCode
    level: AreaLevel
    name: AreaName
    kind: AreaKind | None = Field(default=None, description="xa, phuong, ap, khom ... when known.")
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


class AdministrativeUnitRenamed(EventData):
    """A unit's official name changes from `effective_on` (its code does not)."""

    TYPE = event_type("inbound", "administrative-unit-renamed")

    code: AreaCode
    name: AreaName
    effective_on: date


class AdministrativeUnitReparented(EventData):
    """A unit moves under another parent from `effective_on` (e.g. a commune whose district ended)."""

    TYPE = event_type("inbound", "administrative-unit-reparented")

    code: AreaCode
    parent_code: AreaCode
    effective_on: date


class MergeTarget(ValueData):
    """The unit a merger produces; created by the merger when it does not exist yet."""

    code: AreaCode
    level: AreaLevel
    name: AreaName
    kind: AreaKind | None = None
    parent_code: AreaCode | None = None


class AdministrativeUnitsMerged(EventData):
    """Units merge into `target` from `effective_on` (the 2025 reform: 104 Trà Vinh communes -> 41).

    The sources end the day before; each keeps its code and history and names the target as its
    successor (the crosswalk). Their children move under the target from `effective_on`.
    """

    TYPE = event_type("inbound", "administrative-units-merged")

    source_codes: tuple[AreaCode, ...] = Field(min_length=1, max_length=50)
    target: MergeTarget
    effective_on: date

    @model_validator(mode="after")
    def _target_not_a_source(self) -> Self:
        if len(set(self.source_codes)) != len(self.source_codes):
            raise ValueError("source_codes repeats a code")
        return self


class AdministrativeUnitClosed(EventData):
    """A unit ends (e.g. every district on 30 June 2025); it must have no open children then."""

    TYPE = event_type("inbound", "administrative-unit-closed")

    code: AreaCode
    valid_to: date
    successor_code: AreaCode | None = None


# --- households and citizens -----------------------------------------------------------------


class HouseholdRegistered(EventData):
    """A household lives in a hamlet from `registered_on` (registration with the commune)."""

    TYPE = event_type("inbound", "household-registered")

    household_id: EntityId
    hamlet_code: AreaCode
    registered_on: date


class HouseholdMoved(EventData):
    """A household moves to another hamlet from `moved_on`."""

    TYPE = event_type("inbound", "household-moved")

    household_id: EntityId
    hamlet_code: AreaCode
    moved_on: date


class HouseholdUpdated(EventData):
    """A correction of a household's details; fields left out stay as they are."""

    TYPE = event_type("inbound", "household-updated")

    household_id: EntityId
    registered_on: date | None = None
    head_citizen_id: EntityId | None = None

    @model_validator(mode="after")
    def _something_to_update(self) -> Self:
        if self.registered_on is None and self.head_citizen_id is None:
            raise ValueError("give registered_on or head_citizen_id")
        return self


class HouseholdRemoved(EventData):
    """A household ceases to exist from `removed_on` (merged, moved away, dissolved)."""

    TYPE = event_type("inbound", "household-removed")

    household_id: EntityId
    removed_on: date
    reason: str | None = Field(default=None, max_length=200)


class CitizenRegistered(EventData):
    """A person the programme counts. `national_id` is hashed with a keyed HMAC on arrival and
    never stored, logged or published in clear."""

    TYPE = event_type("inbound", "citizen-registered")

    citizen_id: EntityId
    birth_year: int = Field(ge=1900, le=2100)
    national_id: str | None = Field(
        default=None, pattern=r"^[0-9]{9}$|^[0-9]{12}$", description="CCCD (12 digits) or CMND (9)."
    )
    household_id: EntityId | None = None


class MemberAdded(EventData):
    """A citizen joins a household."""

    TYPE = event_type("inbound", "member-added")

    household_id: EntityId
    citizen_id: EntityId
    role: Literal["head", "member"] = "member"
    added_on: date


class MemberRemoved(EventData):
    """A citizen leaves a household."""

    TYPE = event_type("inbound", "member-removed")

    household_id: EntityId
    citizen_id: EntityId
    removed_on: date


# --- clans and units ---------------------------------------------------------------------------


class ClanRegistered(EventData):
    """A clan (dòng họ) based in a commune (and, when known, a hamlet)."""

    TYPE = event_type("inbound", "clan-registered")

    clan_id: EntityId
    name: AreaName
    home_commune_code: AreaCode
    home_hamlet_code: AreaCode | None = None
    registered_on: date


class ClanJoined(EventData):
    """A household belongs to a clan from `joined_on` (one clan per household)."""

    TYPE = event_type("inbound", "clan-joined")

    clan_id: EntityId
    household_id: EntityId
    joined_on: date


class ClanLeft(EventData):
    """A household leaves its clan from `left_on`."""

    TYPE = event_type("inbound", "clan-left")

    clan_id: EntityId
    household_id: EntityId
    left_on: date


class UnitRegistered(EventData):
    """An agency, school, enterprise or production facility in a commune (Learning Unit)."""

    TYPE = event_type("inbound", "unit-registered")

    unit_id: EntityId
    name: AreaName
    kind: UnitKind
    commune_code: AreaCode
    member_count: int = Field(ge=1, le=100_000)
    registered_on: date


class UnitUpdated(EventData):
    """A correction of a unit's details; fields left out stay as they are."""

    TYPE = event_type("inbound", "unit-updated")

    unit_id: EntityId
    name: AreaName | None = None
    kind: UnitKind | None = None
    member_count: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _something_to_update(self) -> Self:
        if self.name is None and self.kind is None and self.member_count is None:
            raise ValueError("give name, kind or member_count")
        return self


class UnitMemberAdded(EventData):
    """A citizen works at (or studies in) a unit."""

    TYPE = event_type("inbound", "unit-member-added")

    unit_id: EntityId
    citizen_id: EntityId


class UnitMemberRemoved(EventData):
    """A citizen no longer works at (or studies in) a unit."""

    TYPE = event_type("inbound", "unit-member-removed")

    unit_id: EntityId
    citizen_id: EntityId


# --- registration and evidence -------------------------------------------------------------------


class TitleRegistrationSubmitted(EventData):
    """An entity registers (or withdraws) for a title in a year.

    `entity_id` is a household id (learning_family), clan id, hamlet code (learning_community),
    unit id or citizen id. Submitting evidence for a year also counts as registering.
    """

    TYPE = event_type("inbound", "title-registration-submitted")

    title: Title
    entity_id: EntityId
    year: AssessmentYear
    registered: bool = True


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


class CitizenEvidence(ValueData):
    """Learning Citizen (324/QĐ-KHVN): ten indicators in three competency groups, or a pass
    imported from the national self-assessment on congdanhoctap.vn. Unknown indicators stay null
    (the decision is then 'not assessable' unless a national pass is given)."""

    national_self_assessment_passed: bool | None = None
    reads_and_updates_information: bool | None = None
    has_learning_plan: bool | None = None
    makes_time_for_cultural_activities: bool | None = None
    encourages_others_to_learn: bool | None = None
    uses_it_for_work: bool | None = None
    uses_foreign_language_for_work: bool | None = None
    uses_numeracy_for_work: bool | None = None
    thinks_critically: bool | None = None
    keeps_friendly_relations: bool | None = None
    cooperates_and_shares: bool | None = None


class ClanEvidence(ValueData):
    """What the Learning Clan criteria read besides the share of member families recognised."""

    has_promotion_board: bool = Field(description="A khuyến học board runs in the clan.")
    learning_fund_vnd: int = Field(ge=0, le=100_000_000_000, description="The clan's study-promotion fund.")
    students_rewarded: int = Field(ge=0, le=100_000)
    learning_activities: int = Field(ge=0, le=1000, description="Clan learning activities held this year.")
    no_member_family_in_social_evils: bool = True


class CommunityEvidence(ValueData):
    """What the hamlet Learning Community criteria read besides the share of households recognised."""

    learning_activities: int = Field(ge=0, le=1000, description="Community learning activities this year.")
    community_learning_centre_sessions: int = Field(ge=0, le=1000)
    has_reading_space: bool = Field(description="A community bookcase or reading room.")
    cultural_residential_area: bool = Field(description="Recognised 'khu dân cư văn hóa'.")
    school_age_enrolment_percent: float = Field(ge=0, le=100)


class UnitEvidence(ValueData):
    """What the Learning Unit criteria read (Circular 22/2020 structure); `members` counts the
    unit's members this year and the per-member counts must not exceed it."""

    has_learning_plan: bool
    has_learning_rules: bool
    invests_in_learning: bool
    members: int = Field(ge=1, le=100_000)
    members_with_self_study_plan: int = Field(ge=0, le=100_000)
    members_following_discipline: int = Field(ge=0, le=100_000)
    members_completing_training: int = Field(ge=0, le=100_000)
    members_learning_citizens: int | None = Field(
        default=None, ge=0, le=100_000, description="When null, recognition counts its members' decisions."
    )
    emulation_title: bool = Field(description="At least 'Tập thể lao động tiên tiến' this year.")
    digital_transformation_basic: bool

    @model_validator(mode="after")
    def _counts_fit(self) -> Self:
        for name in (
            "members_with_self_study_plan",
            "members_following_discipline",
            "members_completing_training",
            "members_learning_citizens",
        ):
            value = getattr(self, name)
            if value is not None and value > self.members:
                raise ValueError(f"{name} ({value}) exceeds members ({self.members})")
        return self


class FamilyEvidenceSubmitted(EventData):
    """A household's Learning Family evidence for `year` (also registers it for the year)."""

    TYPE = event_type("inbound", "family-evidence-submitted")

    household_id: EntityId
    year: AssessmentYear
    evidence: FamilyEvidence


class CitizenEvidenceSubmitted(EventData):
    """A citizen's Learning Citizen evidence for `year` (also registers them for the year)."""

    TYPE = event_type("inbound", "citizen-evidence-submitted")

    citizen_id: EntityId
    year: AssessmentYear
    evidence: CitizenEvidence


class ClanEvidenceSubmitted(EventData):
    """A clan's learning fund, board and activities for `year` (also registers it)."""

    TYPE = event_type("inbound", "clan-evidence-submitted")

    clan_id: EntityId
    year: AssessmentYear
    evidence: ClanEvidence


class CommunityEvidenceSubmitted(EventData):
    """A hamlet's community learning activities for `year` (also registers it)."""

    TYPE = event_type("inbound", "community-evidence-submitted")

    hamlet_code: AreaCode
    year: AssessmentYear
    evidence: CommunityEvidence


class UnitEvidenceSubmitted(EventData):
    """A learning unit's evidence for `year` (also registers it)."""

    TYPE = event_type("inbound", "unit-evidence-submitted")

    unit_id: EntityId
    year: AssessmentYear
    evidence: UnitEvidence


INBOUND_TYPES: tuple[type[EventData], ...] = (
    AdministrativeUnitRegistered,
    AdministrativeUnitRenamed,
    AdministrativeUnitReparented,
    AdministrativeUnitsMerged,
    AdministrativeUnitClosed,
    HouseholdRegistered,
    HouseholdMoved,
    HouseholdUpdated,
    HouseholdRemoved,
    CitizenRegistered,
    MemberAdded,
    MemberRemoved,
    ClanRegistered,
    ClanJoined,
    ClanLeft,
    UnitRegistered,
    UnitUpdated,
    UnitMemberAdded,
    UnitMemberRemoved,
    TitleRegistrationSubmitted,
    FamilyEvidenceSubmitted,
    CitizenEvidenceSubmitted,
    ClanEvidenceSubmitted,
    CommunityEvidenceSubmitted,
    UnitEvidenceSubmitted,
)
