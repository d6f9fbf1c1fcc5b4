"""Hypothesis-generated batches of inbound facts through the registry's consumer (decode, inbox,
handler, outbox) on the real PostgreSQL: facts shaped by the published schemas with unknown or known
references, out-of-range values, odd Unicode, odd times, broken headers, from authorised,
commune-scoped and unknown publishers.

Whatever arrives, no exception escapes, no batch fails over to record-by-record isolation, and every
record ends in exactly one place: applied (or unchanged), parked, announced as stale, or
dead-lettered with a reason (and announced to its publisher). Only a redelivery of an event already
seen is skipped, by design.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from services.registry.adapters.db import AUDIT, OUTBOX, PARKED
from services.registry.app import Registry, build_registry
from services.registry.settings import RegistrySettings
from shared.consumer import DLQ_HEADER_PREFIX, BatchConsumer, DeadLetter, Delivery, decode
from shared.events import inbound as f
from shared.events.catalogue import DEAD_LETTERS, REGISTRY_INBOUND, REGISTRY_REJECTIONS
from shared.events.vocabulary import Level
from shared.testing import FakeRecord
from tests.contract.inbound_strategies import (
    headers_for,
    hostile_headers,
    hostile_payload,
    shaped_values,
    to_bytes,
)

from .conftest import SOURCES, write_publishers

ACCEPTED = REGISTRY_INBOUND.types_by_name()
INBOUND_TYPES = sorted(REGISTRY_INBOUND.event_types, key=lambda cls: cls.TYPE)
PUBLISHED_SOURCES = (SOURCES["province"], SOURCES["province"], SOURCES["hoa-loi"], "/vn/99/unknown-system")
WORLD = [
    f.AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29401", level=Level.COMMUNE, name="Xã Hòa Lợi", parent_code="84", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29407", level=Level.COMMUNE, name="Xã Hưng Mỹ", parent_code="84", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29401-01", level=Level.HAMLET, name="Ấp Bến Cát", parent_code="29401", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29407-01", level=Level.HAMLET, name="Ấp Hưng Mỹ", parent_code="29407", valid_from="2020-01-01"),
    f.HouseholdRegistered(household_id="hh-1", hamlet_code="29401-01", registered_on="2021-01-01"),
    f.HouseholdRegistered(household_id="hh-2", hamlet_code="29407-01", registered_on="2021-01-01"),
    f.CitizenRegistered(citizen_id="c-1", birth_year=1980, household_id="hh-1"),
    f.ClanRegistered(clan_id="cl-1", name="Họ Nguyễn", home_commune_code="29401", registered_on="2021-01-01"),
    f.UnitRegistered(unit_id="u-1", name="Trường Tiểu học", kind="school", commune_code="29401", member_count=30, registered_on="2021-01-01"),
]
# Known references, so that some generated facts apply, some are stale, some are out of scope.
REFERENCES = {
    "household_id": ("hh-1", "hh-2"), "citizen_id": ("c-1",), "head_citizen_id": ("c-1",), "clan_id": ("cl-1",),
    "unit_id": ("u-1",), "hamlet_code": ("29401-01", "29407-01"), "home_hamlet_code": ("29401-01",),
    "code": ("29401-01", "29407", "84"), "parent_code": ("29401", "84"), "commune_code": ("29401", "29407"),
    "home_commune_code": ("29401", "29407"), "successor_code": ("29401",), "entity_id": ("hh-1", "c-1", "cl-1", "u-1", "29401-01"),
}
EVENT_ID = "event-id"
FACT_TIMES = st.datetimes(datetime(2020, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))


@dataclass
class Fuzzed:
    registry: Registry
    settings: RegistrySettings
    consumer: BatchConsumer
    offsets: int = 0
    seen: set[tuple[str, str]] = field(default_factory=set)

    @property
    def topic(self) -> str:
        return self.settings.topic(REGISTRY_INBOUND.name)


@pytest.fixture
async def fuzzed(make_settings, tmp_path: Path) -> AsyncIterator[Fuzzed]:  # type: ignore[no-untyped-def]
    """The registry's real consumer on its own schema, driven directly (no loops: nothing expires or moves)."""
    settings = await make_settings(RegistrySettings, publishers_file=write_publishers(tmp_path / "publishers.yaml"))
    registry = build_registry(settings)
    [consumer] = registry.runtime.consumers
    state = Fuzzed(registry, settings, consumer)
    world = [FakeRecord(state.topic, to_bytes(fact.model_dump(mode="json"), ascii_only=False), b"w",
                        headers_for(type(fact), event_id=f"world-{n}", at=datetime(2021, 1, 1, tzinfo=UTC)), offset=n)
             for n, fact in enumerate(WORLD)]
    await consumer(world)
    state.offsets = len(world)
    async with registry.runtime.engine.connect() as connection:
        applied = await connection.scalar(sa.select(sa.func.count()).select_from(AUDIT).where(AUDIT.c.outcome == "applied"))
    assert applied == len(WORLD)
    yield state
    await registry.runtime.engine.dispose()


@st.composite
def inbound_records(draw: st.DrawFn) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]], str]]:
    """(key, value, headers, label) of 1-25 records; the label says how each was made, for failure messages."""
    records = []
    for _ in range(draw(st.integers(1, 25))):
        cls = draw(st.sampled_from(INBOUND_TYPES))
        source = draw(st.sampled_from(PUBLISHED_SOURCES))
        event_id = EVENT_ID  # made unique when sent, so examples never replay each other's events
        if draw(st.integers(0, 3)):
            payload = dict(draw(shaped_values(cls)))
            for name, known in REFERENCES.items():
                if name in payload and draw(st.booleans()):
                    payload[name] = draw(st.sampled_from(known))
            value: bytes | None = to_bytes(payload, ascii_only=draw(st.booleans()))
            label = "shaped"
        else:
            value, label = draw(hostile_payload(cls)), "hostile"
        if draw(st.integers(0, 4)):
            headers = headers_for(cls, source=source, event_id=event_id, at=draw(FACT_TIMES))
        else:
            headers, label = draw(hostile_headers(cls, event_id=event_id, source=source)), label + "+headers"
        key = draw(st.one_of(st.none(), st.just(b"hh-1"), st.binary(max_size=16)))
        records.append((key, value, headers, f"{label} {cls.__name__} from {source}"))
    return records


@settings(max_examples=15, derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@example(batch=[
    (b"cl-nul", b'{"clan_id": "cl-nul", "name": "H\\u1ecd\\u0000L\\u00ea", "home_commune_code": "29401", "registered_on": "2021-01-01"}',
     headers_for(f.ClanRegistered, event_id=EVENT_ID, at=datetime(2026, 11, 1, tzinfo=UTC)), "NUL in a clan's name"),
    (b"hh-8", b'{"household_id": "hh-8", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}',
     [*headers_for(f.HouseholdRegistered, event_id=EVENT_ID), ("ce_\u202ex", b"1")], "RTL override in a header name"),
    (b"hh-7", b'{"household_id": "hh-7", "hamlet_code": "29401-99", "registered_on": "2021-01-01"}',
     [*headers_for(f.HouseholdRegistered, event_id=EVENT_ID), ("ce_x\x00y", b"1")], "NUL in a header name, parked"),
    (b"hh-6", b'{"household_id": "hh-6", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}',
     [*headers_for(f.HouseholdRegistered, event_id=EVENT_ID)[:4], ("ce_time", b"0001-01-01T00:00:00+23:59")], "time before year 1 in UTC"),
    (b"hh-6", b'{"household_id": "hh-6", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}',
     [*headers_for(f.HouseholdRegistered, event_id=EVENT_ID)[:4], ("ce_time", b"9999-12-31T23:59:59-23:59")], "time after 9999 in UTC"),
])
@given(batch=inbound_records())
async def test_every_fuzzed_record_is_applied_parked_stale_or_dead_lettered_with_a_reason(fuzzed: Fuzzed, batch) -> None:  # type: ignore[no-untyped-def]
    records = []
    for key, value, headers, _ in batch:
        unique = f"fuzz-{fuzzed.offsets}".encode()
        headers = [(name, unique if raw == EVENT_ID.encode() else raw) for name, raw in headers]
        records.append(FakeRecord(fuzzed.topic, value, key, headers, offset=fuzzed.offsets))
        fuzzed.offsets += 1
    async with fuzzed.registry.runtime.engine.connect() as connection:
        outbox_before = await connection.scalar(sa.select(sa.func.coalesce(sa.func.max(OUTBOX.c.id), 0)))
        audit_before = await connection.scalar(sa.select(sa.func.coalesce(sa.func.max(AUDIT.c.id), 0)))

    await fuzzed.consumer(records)  # must not raise

    decoded = {record.offset: decode(Delivery.from_record(record), ACCEPTED, frozenset()) for record in records}
    identities: dict[tuple[str, str], int] = {}
    for offset, item in decoded.items():
        if item is not None:
            identities.setdefault(item.identity, offset)
    fates = await _fates(fuzzed, identities, outbox_before, audit_before)
    for record, (_, _, _, label) in zip(records, batch, strict=True):
        item = decoded[record.offset]
        assert item is not None, "the registry skips no inbound type"
        found = fates.pop(record.offset, [])
        if item.identity in fuzzed.seen or identities[item.identity] != record.offset:
            assert found == [], (label, found)  # a redelivery of an event already seen: skipped by the inbox
            continue
        fuzzed.seen.add(item.identity)
        assert len(found) == 1, f"record {record.offset} ({label}) ended in {found or 'nowhere'}"
        if isinstance(item, DeadLetter):
            assert found[0].startswith(f"dead-lettered {item.code}:"), (label, found, item.reason)
    assert not fates, f"outcomes for records that were not sent: {fates}"
    isolated = fuzzed.registry.runtime.registry.get_sample_value(
        "hoctap_registry_processing_failures_total", {"topic": REGISTRY_INBOUND.name, "kind": "isolated"})
    assert not isolated, "a batch failed and was retried record by record: the handler raised"


async def _fates(fuzzed: Fuzzed, identities: dict[tuple[str, str], int], outbox_after: int, audit_after: int) -> dict[int, list[str]]:
    """Offset -> where the record ended: 'applied', 'parked', 'stale' or 'dead-lettered <code>: <reason>'.

    `identities` maps each record's (source, id) to its offset, the first one when repeated."""
    fates: dict[int, list[str]] = {}
    announced: dict[int, list[str]] = {}
    async with fuzzed.registry.runtime.engine.connect() as connection:
        outbox = list(await connection.execute(sa.select(OUTBOX).where(OUTBOX.c.id > outbox_after)))
        audit = list(await connection.execute(sa.select(AUDIT).where(AUDIT.c.id > audit_after)))
        parked = set(await connection.scalars(sa.select(PARKED.c.offset).where(PARKED.c.offset.in_(identities.values()))))
    for row in outbox:
        headers = dict(zip(row.header_names, row.header_values, strict=True))
        if row.topic == DEAD_LETTERS["registry"].name:
            offset = int(headers[DLQ_HEADER_PREFIX + "offset"])
            reason = headers[DLQ_HEADER_PREFIX + "reason"].decode()
            assert reason.strip(), f"dead letter {offset} has no reason"
            fates.setdefault(offset, []).append(f"dead-lettered {headers[DLQ_HEADER_PREFIX + 'reason_code'].decode()}: {reason}")
        elif row.topic == REGISTRY_REJECTIONS.name:
            notice = json.loads(row.value)
            announced.setdefault(notice["offset"], []).append(notice["reason_code"])
    dead = {offset for offset, found in fates.items() if found}
    assert dead <= set(announced), f"dead letters never announced to their publisher: {sorted(dead - set(announced))}"
    for offset, codes in announced.items():
        if offset not in dead:
            assert codes == ["stale"], (offset, codes)
            fates.setdefault(offset, []).append("stale")
    for row in audit:
        if row.outcome in ("applied", "unchanged") and (row.source, row.event_id) in identities:
            fates.setdefault(identities[(row.source, row.event_id)], []).append(row.outcome)
    for offset in parked:
        fates.setdefault(offset, []).append("parked")
    return fates


async def test_a_refused_record_with_a_nul_in_a_header_name_is_still_dead_lettered(fuzzed: Fuzzed) -> None:
    headers = [*headers_for(f.HouseholdRegistered, event_id="nul-header", source="/vn/99/unknown-system"), ("ce_x\x00y", b"1")]
    value = b'{"household_id": "hh-9", "hamlet_code": "29401-01", "registered_on": "2021-01-01"}'
    async with fuzzed.registry.runtime.engine.connect() as connection:
        before = await connection.scalar(sa.select(sa.func.coalesce(sa.func.max(OUTBOX.c.id), 0)))
    await fuzzed.consumer([FakeRecord(fuzzed.topic, value, b"hh-9", headers, offset=10**6)])
    fates = await _fates(fuzzed, {("/vn/99/unknown-system", "nul-header"): 10**6}, before, 0)
    assert fates[10**6] == ["dead-lettered rejected: not_authorised: the publisher is not registered with the registry"]
