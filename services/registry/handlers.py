"""Registry use cases: apply a batch of inbound facts and say what to publish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.consumer import DeadLetter, Outcome, Received
from shared.events.catalogue import REGISTRY_ADMINISTRATIVE_UNITS, REGISTRY_HOUSEHOLDS
from shared.events.inbound import (
    AdministrativeUnitRegistered,
    FamilyEvidenceSubmitted,
    HouseholdRegistered,
)
from shared.events.registry import AdministrativeUnitChanged, FamilyEvidenceRecorded, HouseholdChanged
from shared.events.vocabulary import Level
from shared.outbox import Outgoing

from .domain.model import (
    AdministrativeUnit,
    EvidenceRecord,
    Household,
    Refused,
    record_evidence,
    register_household,
    register_unit,
)
from .ports import RegistryUnitOfWork

_LEVEL_ORDER = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2, Level.HAMLET: 3}


def _fact_order(item: Received[Any]) -> int:
    """Within a batch, areas (top-down) before households before evidence: parents come first."""
    data = item.data
    if isinstance(data, AdministrativeUnitRegistered):
        return _LEVEL_ORDER[data.level]
    if isinstance(data, HouseholdRegistered):
        return 10
    return 20


async def apply_inbound_facts(batch: list[Received[Any]], uow: RegistryUnitOfWork, now: datetime) -> Outcome:
    facts = sorted(batch, key=_fact_order)
    unit_codes: set[str] = set()
    household_ids: set[str] = set()
    evidence_keys: set[tuple[str, int]] = set()
    for item in facts:
        data = item.data
        if isinstance(data, AdministrativeUnitRegistered):
            unit_codes.update(c for c in (data.code, data.parent_code) if c)
        elif isinstance(data, HouseholdRegistered):
            unit_codes.add(data.hamlet_code)
            household_ids.add(data.household_id)
        elif isinstance(data, FamilyEvidenceSubmitted):
            household_ids.add(data.household_id)
            evidence_keys.add((data.household_id, data.year))

    units = await uow.units.get_many(unit_codes)
    households = await uow.households.get_many(household_ids)
    evidence = await uow.evidence.get_many(evidence_keys)
    changed_units: dict[str, AdministrativeUnit] = {}
    changed_households: dict[str, Household] = {}
    changed_evidence: dict[tuple[str, int], EvidenceRecord] = {}
    outcome = Outcome()

    for item in facts:
        data = item.data
        correlation = item.envelope.correlation_id or item.envelope.id
        try:
            if isinstance(data, AdministrativeUnitRegistered):
                parent = units.get(data.parent_code) if data.parent_code else None
                unit = register_unit(units.get(data.code), parent, data)
                if unit is not None:
                    units[unit.code] = changed_units[unit.code] = unit
                    outcome.events.append(_unit_event(unit, correlation))
            elif isinstance(data, HouseholdRegistered):
                household = register_household(households.get(data.household_id), units.get(data.hamlet_code), data)
                if household is not None:
                    households[household.household_id] = changed_households[household.household_id] = household
                    outcome.events.append(_household_event(household, correlation))
            elif isinstance(data, FamilyEvidenceSubmitted):
                key = (data.household_id, data.year)
                record = record_evidence(
                    households.get(data.household_id), evidence.get(key), data, today=now.date()
                )
                if record is not None:
                    evidence[key] = changed_evidence[key] = record
                    outcome.events.append(_evidence_event(record, correlation))
        except Refused as refusal:
            outcome.dead_letters.append(
                DeadLetter(item.delivery, "rejected", f"{refusal.code}: {refusal.reason}", item.envelope)
            )

    await uow.units.save_many(list(changed_units.values()))
    await uow.households.save_many(list(changed_households.values()))
    await uow.evidence.save_many(list(changed_evidence.values()))
    return outcome


def _unit_event(unit: AdministrativeUnit, correlation: str) -> Outgoing:
    return Outgoing(
        topic=REGISTRY_ADMINISTRATIVE_UNITS,
        key=unit.code,
        data=AdministrativeUnitChanged(
            code=unit.code,
            level=unit.level,
            name=unit.name,
            parent_code=unit.parent_code,
            province_code=unit.province_code,
            valid_from=unit.valid_from,
            valid_to=unit.valid_to,
            version=unit.version,
        ),
        id_seed=f"registry/unit/{unit.code}/{unit.version}",
        correlation_id=correlation,
    )


def _household_event(household: Household, correlation: str) -> Outgoing:
    return Outgoing(
        topic=REGISTRY_HOUSEHOLDS,
        key=household.household_id,
        data=HouseholdChanged(
            household_id=household.household_id,
            hamlet_code=household.hamlet_code,
            commune_code=household.commune_code,
            province_code=household.province_code,
            registered_on=household.registered_on,
            removed_on=household.removed_on,
            version=household.version,
        ),
        id_seed=f"registry/household/{household.household_id}/{household.version}",
        correlation_id=correlation,
    )


def _evidence_event(record: EvidenceRecord, correlation: str) -> Outgoing:
    return Outgoing(
        topic=REGISTRY_HOUSEHOLDS,
        key=record.household_id,
        data=FamilyEvidenceRecorded(
            household_id=record.household_id,
            year=record.year,
            evidence=record.evidence,
            version=record.version,
        ),
        id_seed=f"registry/evidence/{record.household_id}/{record.year}/{record.version}",
        correlation_id=correlation,
    )
