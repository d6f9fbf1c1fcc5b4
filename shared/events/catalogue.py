"""The topic catalogue: every topic, its key, producer, consumers, partitions and event types.

This is the one place topics are named. Services, the dev stack, the Kubernetes manifests and
the README table are all derived from it (tests check they agree).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import EventData
from .inbound import INBOUND_TYPES
from .metrics import IndicatorChanged
from .recognition import TitleDecided
from .registry import (
    AdministrativeUnitChanged,
    CitizenChanged,
    CitizenEvidenceRecorded,
    ClanChanged,
    ClanEvidenceRecorded,
    CommunityEvidenceRecorded,
    FamilyEvidenceRecorded,
    HouseholdChanged,
    InboundRejected,
    TitleRegistrationChanged,
    UnitChanged,
    UnitEvidenceRecorded,
)

GOVERNMENT_SYSTEMS = "government systems"
SERVICES = ("registry", "recognition", "metrics", "notifications")
WEEK_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key: str
    producer: str
    consumers: tuple[str, ...]
    partitions: int
    event_types: tuple[type[EventData], ...]
    description: str
    retention_ms: int = -1  # keep forever: state topics are the replayable history
    dead_letter: bool = False

    def types_by_name(self) -> dict[str, type[EventData]]:
        return {cls.TYPE: cls for cls in self.event_types}

    def accepting(self, *classes: type[EventData]) -> dict[str, type[EventData]]:
        """The subset of this topic's types a consumer handles (the rest it skips)."""
        unknown = [c.__name__ for c in classes if c not in self.event_types]
        if unknown:
            raise ValueError(f"{self.name} carries no {', '.join(unknown)}")
        return {cls.TYPE: cls for cls in classes}


REGISTRY_INBOUND = TopicSpec(
    name="registry.inbound.v1",
    key="the entity the fact is about (household, citizen, clan or unit id, or area code)",
    producer=GOVERNMENT_SYSTEMS,
    consumers=("registry",),
    partitions=12,
    event_types=INBOUND_TYPES,
    description="Facts other government systems publish to the registry.",
    retention_ms=4 * WEEK_MS,
)
REGISTRY_REJECTIONS = TopicSpec(
    name="registry.inbound-rejected.v1",
    key="the publisher's event id (ce_id)",
    producer="registry",
    consumers=(GOVERNMENT_SYSTEMS,),
    partitions=3,
    event_types=(InboundRejected,),
    description="Every inbound fact the registry refused, with the reason, for its publisher.",
    retention_ms=4 * WEEK_MS,
)
REGISTRY_ADMINISTRATIVE_UNITS = TopicSpec(
    name="registry.administrative-unit.v1",
    key="area code",
    producer="registry",
    consumers=("recognition", "metrics"),
    partitions=3,
    event_types=(AdministrativeUnitChanged, CommunityEvidenceRecorded, TitleRegistrationChanged),
    description="Provinces, districts, communes and hamlets with their history; hamlets' community evidence.",
)
REGISTRY_HOUSEHOLDS = TopicSpec(
    name="registry.household.v1",
    key="household id",
    producer="registry",
    consumers=("recognition", "metrics"),
    partitions=12,
    event_types=(HouseholdChanged, FamilyEvidenceRecorded, TitleRegistrationChanged),
    description="Household snapshots, their yearly Learning Family evidence and registrations.",
)
REGISTRY_CITIZENS = TopicSpec(
    name="registry.citizen.v1",
    key="citizen id",
    producer="registry",
    consumers=("recognition", "metrics"),
    partitions=12,
    event_types=(CitizenChanged, CitizenEvidenceRecorded, TitleRegistrationChanged),
    description="Citizen snapshots (never a national ID), Learning Citizen evidence and registrations.",
)
REGISTRY_CLANS = TopicSpec(
    name="registry.clan.v1",
    key="clan id",
    producer="registry",
    consumers=("recognition", "metrics"),
    partitions=3,
    event_types=(ClanChanged, ClanEvidenceRecorded, TitleRegistrationChanged),
    description="Clan snapshots, their yearly evidence and registrations.",
)
REGISTRY_UNITS = TopicSpec(
    name="registry.unit.v1",
    key="unit id",
    producer="registry",
    consumers=("recognition", "metrics"),
    partitions=3,
    event_types=(UnitChanged, UnitEvidenceRecorded, TitleRegistrationChanged),
    description="Learning-unit snapshots, their yearly evidence and registrations.",
)
RECOGNITION_DECISIONS = TopicSpec(
    name="recognition.decision.v1",
    key="entity id",
    producer="recognition",
    consumers=("metrics",),
    partitions=12,
    event_types=(TitleDecided,),
    description="Title decisions with their scores, facts and rule version, emitted when they change.",
)
METRICS_INDICATORS = TopicSpec(
    name="metrics.indicator.v1",
    key="area code",
    producer="metrics",
    consumers=("notifications",),
    partitions=6,
    event_types=(IndicatorChanged,),
    description="Indicator cells (title x year x hierarchy x area) whenever their figures change.",
)


def dead_letter_topic(service: str) -> TopicSpec:
    return TopicSpec(
        name=f"{service}.dead-letter.v1",
        key="the original record's key",
        producer=service,
        consumers=(),
        partitions=1,
        event_types=(),
        description=f"Records {service} could not process, unchanged, with the reason in headers.",
        retention_ms=4 * WEEK_MS,
        dead_letter=True,
    )


DEAD_LETTERS = {service: dead_letter_topic(service) for service in SERVICES}

REGISTRY_ENTITY_TOPICS: tuple[TopicSpec, ...] = (
    REGISTRY_ADMINISTRATIVE_UNITS,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_CITIZENS,
    REGISTRY_CLANS,
    REGISTRY_UNITS,
)

TOPICS: tuple[TopicSpec, ...] = (
    REGISTRY_INBOUND,
    REGISTRY_REJECTIONS,
    *REGISTRY_ENTITY_TOPICS,
    RECOGNITION_DECISIONS,
    METRICS_INDICATORS,
    *DEAD_LETTERS.values(),
)


def topic_by_name(name: str) -> TopicSpec:
    for topic in TOPICS:
        if topic.name == name:
            return topic
    raise KeyError(name)


def catalogue_table() -> str:
    """The catalogue as a Markdown table (the README embeds it; a test keeps them equal)."""
    rows = ["| topic | event types | key | producer | consumers | partitions |", "|---|---|---|---|---|---|"]
    for topic in TOPICS:
        types = ", ".join(f"`{cls.__name__}`" for cls in topic.event_types) or "original record"
        consumers = ", ".join(topic.consumers) or "operators (replay)"
        rows.append(
            f"| `{topic.name}` | {types} | {topic.key} | {topic.producer} | {consumers} | {topic.partitions} |"
        )
    return "\n".join(rows)
