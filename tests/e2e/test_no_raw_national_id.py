"""No raw national ID anywhere the system writes: the four services as processes on the real broker
and PostgreSQL receive citizens carrying CCCD (12-digit) and CMND (9-digit) numbers, and records that
are dead-lettered while carrying them (a citizen whose household never comes and expires from
parking, broken JSON, an out-of-range birth year, an ID in a field the contract does not have).

Then every table of every schema in the database, every record (key, value, headers) on every topic
of the run, and every log line of every service is searched for the raw numbers. Two refused records
carry a number outside their payload too: as their Kafka key, and in a `ce_subject` header. The publisher's
own topic (registry.inbound.v1) holds them, which shows the search can find them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiosmtpd.controller import Controller

from shared.devstack.demo import publish, write_readers
from shared.devstack.processes import Supervisor, free_port
from shared.devstack.services import SERVICES, ServiceGroup, migrate, service_environment
from shared.events import inbound as f
from shared.events.catalogue import (
    DEAD_LETTERS,
    REGISTRY_CITIZENS,
    REGISTRY_INBOUND,
    REGISTRY_REJECTIONS,
)
from shared.events.envelope import format_time
from shared.events.registry import CitizenChanged
from shared.events.vocabulary import Level
from shared.outbox import OutboxRecord, Outgoing, encode
from shared.testing import CollectingSmtpHandler, random_id

SOURCE = "/vn/84/civil-registry"
NATIONAL_ID_KEY = "e2e-national-id-key-0123456789"
READER = "e2e-reader-token"
AREAS = [
    f.AdministrativeUnitRegistered(code="84", level=Level.PROVINCE, name="Tỉnh Trà Vinh", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29401", level=Level.COMMUNE, name="Xã Hòa Lợi", parent_code="84", valid_from="2020-01-01"),
    f.AdministrativeUnitRegistered(code="29401-01", level=Level.HAMLET, name="Ấp Bến Cát", parent_code="29401", valid_from="2020-01-01"),
]


def national_ids(count: int, digits: int) -> list[str]:
    """Fresh random numbers each run, so nothing another test wrote can match them."""
    rng = random.Random()
    return [f"0{rng.randrange(10 ** (digits - 2), 10 ** (digits - 1))}" for _ in range(count)]


def boundaried(numbers: list[str]) -> str:
    """A regular expression (Python and PostgreSQL alike) for any of `numbers` standing alone, not
    inside a longer run of digits (where a 9-digit number could turn up by chance)."""
    return "(?<![0-9])(" + "|".join(numbers) + ")(?![0-9])"


def hmac_of(national_id: str) -> str:
    return hmac.new(NATIONAL_ID_KEY.encode(), national_id.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def system(infrastructure, topic_prefix: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    smtp = CollectingSmtpHandler()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    suffix = random_id("n")
    publishers = tmp_path / "publishers.yaml"
    publishers.write_text(yaml.safe_dump({"publishers": [{"name": "province-84", "sources": [SOURCE], "areas": ["*"]}]}), encoding="utf-8")
    extra = {f"{s.upper()}_DATABASE_SCHEMA": f"{s}_{suffix}" for s in SERVICES} | {
        "REGISTRY_PUBLISHERS_FILE": str(publishers),
        "REGISTRY_NATIONAL_ID_KEY": NATIONAL_ID_KEY,
        "REGISTRY_PARK_SECONDS": "3",
        "REGISTRY_PARK_RETRY_SECONDS": "0.5",
        "HOCTAP_READERS_FILE": str(write_readers(tmp_path / "readers.yaml", READER)),
        "NOTIFICATIONS_EVALUATE_INTERVAL_SECONDS": "1",
        "HOCTAP_ENVIRONMENT": "test",
    }
    ports = {s: free_port() for s in SERVICES}
    env = service_environment(database_url=infrastructure.database_url, bootstrap=infrastructure.bootstrap,
                              idempotent_producer=infrastructure.idempotent_producer, smtp_port=controller.port,
                              ports=ports, topic_prefix=topic_prefix, extra=extra)
    (tmp_path / "logs").mkdir()
    migrate(env, tmp_path / "logs")
    supervisor = Supervisor()
    group = ServiceGroup(supervisor, env, tmp_path / "logs", ports)
    group.start()
    try:
        group.wait_ready(90)
        yield group, infrastructure, topic_prefix, suffix, tmp_path / "logs"
    finally:
        supervisor.stop_all(timeout=30)
        controller.stop()


def test_no_table_topic_or_log_line_holds_a_raw_national_id(system) -> None:  # type: ignore[no-untyped-def]
    group, infrastructure, prefix, suffix, logs = system
    cccd, cmnd = national_ids(4, 12), national_ids(1, 9)
    citizens = [(f"c-{n}", number) for n, number in enumerate(cccd[:3] + cmnd)]
    year = time.gmtime().tm_year - 1
    good = [*AREAS, f.HouseholdRegistered(household_id="hh-1", hamlet_code="29401-01", registered_on="2021-01-01")]
    good += [f.CitizenRegistered(citizen_id=c, birth_year=1980, household_id="hh-1", national_id=number) for c, number in citizens]
    good += [f.CitizenEvidenceSubmitted(citizen_id=c, year=year, evidence=f.CitizenEvidence(national_self_assessment_passed=True))
             for c, _ in citizens]
    never = cccd[3]  # carried only by records that are refused
    refused = [
        # Keyed by the number itself: parked, then expired (the key is kept while it waits).
        record(f.CitizenRegistered(citizen_id="c-parked", birth_year=1990, household_id="hh-never", national_id=never), never),
        # The number in a header a careless publisher sets.
        raw(b'{"citizen_id": "c-broken", "national_id": "' + never.encode() + b'", "birth_year": ', f.CitizenRegistered.TYPE,
            extra=(("ce_subject", never.encode()),)),
        raw(b'{"citizen_id": "c-old", "birth_year": 1800, "national_id": "' + never.encode() + b'"}', f.CitizenRegistered.TYPE),
        raw(b'{"citizen_id": "c-extra", "birth_year": 1990, "cccd": "' + never.encode() + b'"}', f.CitizenRegistered.TYPE),
    ]
    bootstrap = infrastructure.bootstrap
    asyncio.run(publish(bootstrap, [record(fact, key_of(fact)) for fact in good] + refused, topic_prefix=prefix))

    # Settled: every citizen's snapshot is out, the four refusals are dead letters, decisions exist.
    letters = wait_for(lambda: read_all(bootstrap, prefix + DEAD_LETTERS["registry"].name), lambda found: len(found) >= 4, "4 dead letters")
    snapshots = wait_for(lambda: read_all(bootstrap, prefix + REGISTRY_CITIZENS.name),
                         lambda found: {r.key for r in found} >= {c.encode() for c, _ in citizens}, "the citizens' snapshots")
    reader = {"Authorization": f"Bearer {READER}"}
    wait_for(lambda: httpx.get(f"{group.url('recognition')}/v1/decisions/learning_citizen/c-0/{year}", headers=reader).status_code,
             lambda status: status == 200, "a Learning Citizen decision")
    time.sleep(2)  # what follows from the last events (metrics, notifications) lands meanwhile

    codes = sorted((header(r, "hoctap_dlq_reason_code"), header(r, "hoctap_dlq_reason").split(b":")[0]) for r in letters)
    assert codes == [(b"invalid_data", b"CitizenRegistered"), (b"invalid_data", b"CitizenRegistered"),
                     (b"malformed_json", b"CitizenRegistered"), (b"rejected", b"expired_waiting")], codes
    assert all(b"[redacted]" in (r.value or b"") for r in letters), [r.value for r in letters]
    changed = [r for r in snapshots if header(r, "ce_type") == CitizenChanged.TYPE.encode()]
    assert {r.key for r in changed} == {c.encode() for c, _ in citizens}
    assert all(b'"has_national_id":true' in r.value.replace(b" ", b"") for r in changed)
    every_id = [number for _, number in citizens] + [never]
    pattern = re.compile(boundaried(every_id).encode())

    # The database: every column of every table, text, JSON, arrays and bytes alike.
    rows, found_in_tables, hmacs = asyncio.run(scan_database(infrastructure.database_url, every_id, suffix))
    assert found_in_tables == [], found_in_tables
    assert hmacs == {hmac_of(number) for _, number in citizens}, "the registry keeps the keyed HMAC of each ID"
    assert rows > 50

    # Every topic of the run; the inbound one is the publisher's and must show the numbers.
    topics = asyncio.run(topics_of(bootstrap, prefix))
    assert {prefix + DEAD_LETTERS["registry"].name, prefix + REGISTRY_REJECTIONS.name, prefix + REGISTRY_CITIZENS.name} <= set(topics)
    leaks, inbound_hits, records = [], 0, 0
    for topic in topics:
        for item in asyncio.run(read_all(bootstrap, topic)):
            records += 1
            parts = [item.key or b"", item.value or b"", *(name.encode() + b"=" + (value or b"") for name, value in item.headers)]
            if any(pattern.search(part) for part in parts):
                if topic == prefix + REGISTRY_INBOUND.name:
                    inbound_hits += 1
                else:
                    leaks.append((topic, item.offset, item.value[:200] if item.value else None))
    assert leaks == []
    assert inbound_hits == len(citizens) + 4 and records > inbound_hits

    # Every log line of every service (and of the migrations).
    files = sorted(logs.glob("*.log"))
    assert {f"{s}.log" for s in SERVICES} <= {p.name for p in files}
    lines = [(p.name, line) for p in files for line in p.read_bytes().splitlines()]
    assert [(name, line[:300]) for name, line in lines if pattern.search(line)] == []
    assert sum(b"dead-lettered a record" in line for name, line in lines if name == "registry.log") >= 3


def key_of(fact: Any) -> str:
    return getattr(fact, "household_id", None) or getattr(fact, "code", None) or fact.citizen_id


def record(fact: Any, key: str) -> OutboxRecord:
    return encode(Outgoing(REGISTRY_INBOUND, key, fact), source=SOURCE, now=datetime.now(UTC))


def raw(value: bytes, event_type: str, extra: tuple[tuple[str, bytes], ...] = ()) -> OutboxRecord:
    """A record as a careless publisher sends it: valid CloudEvents headers, a bad payload."""
    headers = (("ce_specversion", b"1.0"), ("ce_id", random_id("raw").encode()), ("ce_source", SOURCE.encode()),
               ("ce_type", event_type.encode()), ("ce_time", format_time(datetime.now(UTC)).encode()),
               ("content-type", b"application/json"), *extra)
    return OutboxRecord(topic=REGISTRY_INBOUND.name, key=b"c-raw", value=value, headers=headers)


def header(item: Any, name: str) -> bytes:
    return next((value for key, value in item.headers if key == name), b"") or b""


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = read()
            if asyncio.iscoroutine(last):
                last = asyncio.run(last)
            if done(last):
                return last
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}"[:2000])


async def topics_of(bootstrap: str, prefix: str) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return sorted(t for t in await consumer.topics() if t.startswith(prefix))
    finally:
        await consumer.stop()


async def read_all(bootstrap: str, topic: str) -> list[Any]:
    """Every record on every partition of `topic`, from the beginning to the current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[Any] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for batch in (await consumer.getmany(*partitions, timeout_ms=1000)).values():
                found.extend(batch)
        return found
    finally:
        await consumer.stop()


async def scan_database(url: str, national_ids_: list[str], suffix: str) -> tuple[int, list[str], set[str]]:
    """(rows seen, 'schema.table' holding a raw ID, the registry's national-ID HMACs).

    Each column is searched as text: bytes (and arrays of bytes) through `encode(..., 'escape')`,
    which keeps printable ASCII as it is. A planted row first proves each kind of column is read."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        pattern = boundaried(national_ids_)
        await connection.execute(f"create schema scan_probe_{suffix}")
        await connection.execute(f"create table scan_probe_{suffix}.t (a text, b jsonb, c bytea, d bytea[], e text[])")
        probe = national_ids_[0]
        for column, value in (("a", f"x{probe}x"), ("b", f'{{"n": "{probe}"}}'), ("c", probe.encode()), ("d", [b"x", probe.encode()]), ("e", ["x", probe])):
            await connection.execute(f"insert into scan_probe_{suffix}.t ({column}) values ($1{'::jsonb' if column == 'b' else ''})", value)
        columns = await connection.fetch(
            """select table_schema, table_name, column_name, data_type, udt_name from information_schema.columns
               where table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg_toast%'
               and (table_schema, table_name) in (select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE')
               order by 1, 2, ordinal_position""")
        tables: dict[tuple[str, str], list[str]] = {}
        for c in columns:
            name = f'"{c["column_name"]}"'
            expression = (f"encode({name}, 'escape')" if c["udt_name"] == "bytea"
                          else f"array_to_string(array(select encode(v, 'escape') from unnest({name}) v), ' ')" if c["udt_name"] == "_bytea"
                          else f"{name}::text")
            tables.setdefault((c["table_schema"], c["table_name"]), []).append(f"coalesce({expression}, '')")
        rows, holding = 0, {}
        for (schema, table), expressions in tables.items():
            counted = await connection.fetchrow(
                f'select count(*) as n, count(*) filter (where concat_ws(\' \', {", ".join(expressions)}) ~ $1) as hits from "{schema}"."{table}"', pattern)
            rows += counted["n"]
            if counted["hits"]:
                holding[f"{schema}.{table}"] = counted["hits"]
        assert holding.pop(f"scan_probe_{suffix}.t") == 5, "the search misses a kind of column"
        hmacs = {r["national_id_hmac"] for r in await connection.fetch(f'select national_id_hmac from "registry_{suffix}".citizen where national_id_hmac is not null')}
        return rows, sorted(holding), hmacs
    finally:
        await connection.execute(f"drop schema if exists scan_probe_{suffix} cascade")
        await connection.close()
