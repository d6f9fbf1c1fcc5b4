"""A consumed batch turned into what the cascade writes: the newest snapshot of each entity and
the newest evidence of each entity-year, with the entity whose lock guards each of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.consumer import DeadLetter, Received
from shared.events.registry import (
    AdministrativeUnitChanged,
    CitizenChanged,
    CitizenEvidenceRecorded,
    ClanChanged,
    ClanEvidenceRecorded,
    CommunityEvidenceRecorded,
    FamilyEvidenceRecorded,
    HouseholdChanged,
    UnitChanged,
    UnitEvidenceRecorded,
)
from shared.events.vocabulary import Title

from ..domain.cascade import LEVEL, Target
from ..domain.membership import (
    AreaRecord,
    CitizenRecord,
    ClanRecord,
    HouseholdRecord,
    Period,
    UnitRecord,
    hamlet_periods,
)
from ..domain.rule_book import RuleBook

EVIDENCE_EVENTS: dict[type, tuple[Title, str]] = {
    FamilyEvidenceRecorded: (Title.LEARNING_FAMILY, "household_id"),
    CitizenEvidenceRecorded: (Title.LEARNING_CITIZEN, "citizen_id"),
    ClanEvidenceRecorded: (Title.LEARNING_CLAN, "clan_id"),
    CommunityEvidenceRecorded: (Title.LEARNING_COMMUNITY, "hamlet_code"),
    UnitEvidenceRecorded: (Title.LEARNING_UNIT, "unit_id"),
}
SNAPSHOT_EVENTS = (
    AdministrativeUnitChanged,
    HouseholdChanged,
    CitizenChanged,
    ClanChanged,
    UnitChanged,
)
ACCEPTED = (*SNAPSHOT_EVENTS, *EVIDENCE_EVENTS)


def snapshot_record(data: Any) -> tuple[str, Target, Any]:
    """(projection table, guarding entity, record) of a snapshot event."""
    if isinstance(data, CitizenChanged):
        return (
            "citizen",
            (Title.LEARNING_CITIZEN, data.citizen_id),
            CitizenRecord(
                data.citizen_id,
                data.birth_year,
                data.household_id,
                tuple(data.unit_ids),
                data.removed_on,
                data.version,
            ),
        )
    if isinstance(data, HouseholdChanged):
        history = tuple(Period(p.code, p.valid_from, p.valid_to) for p in data.hamlet_history)
        return (
            "household",
            (Title.LEARNING_FAMILY, data.household_id),
            HouseholdRecord(
                data.household_id,
                data.hamlet_code,
                data.commune_code,
                data.province_code,
                data.registered_on,
                data.removed_on,
                data.clan_id,
                hamlet_periods(data.hamlet_code, data.registered_on, history),
                data.version,
            ),
        )
    if isinstance(data, UnitChanged):
        return (
            "unit",
            (Title.LEARNING_UNIT, data.unit_id),
            UnitRecord(
                data.unit_id, data.commune_code, data.province_code, data.member_count, data.version
            ),
        )
    if isinstance(data, ClanChanged):
        return (
            "clan",
            (Title.LEARNING_CLAN, data.clan_id),
            ClanRecord(
                data.clan_id,
                data.home_commune_code,
                data.home_hamlet_code,
                data.province_code,
                data.version,
            ),
        )
    return (
        "area",
        (Title.LEARNING_COMMUNITY, data.code),
        AreaRecord(
            data.code,
            data.level.value,
            data.name,
            data.parent_code,
            data.province_code,
            data.version,
        ),
    )


@dataclass
class Intake:
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)
    """table -> id -> record (the newest version in the batch)."""
    evidence: dict[Title, dict[tuple[str, int], tuple[dict[str, Any], int]]] = field(
        default_factory=dict
    )
    """title -> (entity, year) -> (facts, version) (the newest version in the batch)."""
    guards: dict[Target, str | None] = field(default_factory=dict)
    """Every entity the batch writes for, with the correlation id of its (last) event."""
    dead_letters: list[DeadLetter] = field(default_factory=list)

    @classmethod
    def of(cls, batch: list[Received[Any]], book: RuleBook) -> Intake:
        intake = cls()
        for item in batch:
            data = item.data
            cause = item.envelope.correlation_id or item.envelope.id
            if type(data) in EVIDENCE_EVENTS:
                title, key = EVIDENCE_EVENTS[type(data)]
                if book.for_year(title, data.year) is None:
                    reason = f"no {title.value} rule set is in force for {data.year}"
                    intake.dead_letters.append(
                        DeadLetter(item.delivery, "rejected", reason, item.envelope)
                    )
                    continue
                entity = getattr(data, key)
                rows = intake.evidence.setdefault(title, {})
                known = rows.get((entity, data.year))
                if known is None or known[1] < data.version:
                    rows[(entity, data.year)] = (
                        data.evidence.model_dump(mode="json"),
                        data.version,
                    )
                intake.guards[(title, entity)] = cause
                continue
            table, guard, record = snapshot_record(data)
            records = intake.snapshots.setdefault(table, {})
            identity = guard[1]
            if identity not in records or records[identity].version < record.version:
                records[identity] = record
            intake.guards[guard] = cause
        return intake

    def guarded(self, level: int) -> set[Target]:
        return {target for target in self.guards if LEVEL[target[0]] == level}
