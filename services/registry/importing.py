"""Bulk import of facts from rows (HTTP JSON/NDJSON/CSV bodies, CLI files), chunk by chunk, with a
result per row. Each chunk is one transaction through the same processing as Kafka facts."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shared.consumer import describe_validation_error
from shared.events.base import EventData
from shared.events.catalogue import REGISTRY_INBOUND
from shared.events.envelope import parse_time
from shared.events.inbound import CitizenRegistered
from shared.outbox import NAMESPACE, encode

from .adapters.privacy import NationalIdHasher
from .domain.applier import Fact, problem_before_applying
from .domain.scope import Publisher, Publishers
from .handlers.inbound import entity_key
from .handlers.parking import park_row
from .handlers.processing import Submission, process

TYPES = REGISTRY_INBOUND.types_by_name()
SHORT_TYPES = {name.split(".")[3]: cls for name, cls in TYPES.items()}
TRUE, FALSE = {"true", "1", "yes", "y", "có"}, {"false", "0", "no", "n", "không"}


def fact_class(name: str) -> type[EventData]:
    cls = TYPES.get(name) or SHORT_TYPES.get(name)
    if cls is None:
        raise ValueError(f"unknown fact type {name!r} (e.g. household-registered, or {next(iter(TYPES))})")
    return cls


def csv_rows(text_lines: Iterable[str], type_name: str) -> Iterable[dict[str, Any]]:
    """CSV with a header of field names; nested fields dotted (evidence.adults); empty cells left out."""
    reader = csv.DictReader(text_lines)
    for row in reader:
        data: dict[str, Any] = {}
        for column, cell in row.items():
            if column is None or cell is None or cell.strip() == "":
                continue
            value: Any = cell.strip()
            if value.lower() in TRUE:
                value = True
            elif value.lower() in FALSE:
                value = False
            target = data
            *parents, leaf = column.strip().split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        yield {"type": type_name, "data": data}


def json_rows(payload: bytes) -> Iterable[dict[str, Any]]:
    document = json.loads(payload)
    if not isinstance(document, list):
        raise ValueError("a JSON body must be an array of rows (or send application/x-ndjson)")
    return document


class Importer:
    def __init__(self, unit_of_work: Callable[[], Any], publishers: Publishers, hasher: NationalIdHasher, *,
                 chunk_rows: int, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.unit_of_work = unit_of_work
        self.publishers = publishers
        self.hasher = hasher
        self.chunk_rows = chunk_rows
        self.clock = clock
        self.on_change = on_change

    def _submission(self, number: int, row: Any, publisher: Publisher, now: datetime) -> Submission | dict[str, Any]:
        if not isinstance(row, dict):
            return {"row": number, "status": "rejected", "code": "invalid_data", "reason": "a row must be an object"}
        if "__error__" in row:
            return {"row": number, "status": "rejected", "code": "malformed_json", "reason": row["__error__"]}
        try:
            cls = fact_class(str(row.get("type", "")))
            data = cls.model_validate(row.get("data", {}))
            at = parse_time(row["time"]) if row.get("time") else now
            if problem := problem_before_applying(Fact(data, at), now):
                return {"row": number, "status": "rejected", "code": "invalid_fact", "reason": problem}
        except ValidationError as error:
            code = "malformed_json" if any(e["type"] == "json_invalid" for e in error.errors()) else "invalid_data"
            return {"row": number, "status": "rejected", "code": code, "reason": describe_validation_error(cls, error)}
        except (ValueError, KeyError) as error:
            return {"row": number, "status": "rejected", "code": "invalid_data", "reason": str(error)}
        national_id_hmac = None
        if isinstance(data, CitizenRegistered) and data.national_id is not None:
            national_id_hmac = self.hasher(data.national_id)
            data = data.model_copy(update={"national_id": None})
        event_id = str(row.get("id") or uuid.uuid5(NAMESPACE, f"{publisher.name}|{cls.TYPE}|{data.model_dump_json()}|{national_id_hmac}"))
        source = publisher.sources[0] if publisher.sources else f"/http/{publisher.name}"
        return Submission(Fact(data, at, national_id_hmac), entity_key(data), source, event_id, publisher.name, publisher)

    async def run(self, rows: AsyncIterator[Any] | Iterable[Any], publisher: Publisher) -> AsyncIterator[dict[str, Any]]:
        """Apply rows in chunks; yield one result per row, in order."""
        chunk: list[tuple[int, Any]] = []
        number = 0
        if hasattr(rows, "__aiter__"):
            async for row in rows:  # type: ignore[union-attr]
                number += 1
                chunk.append((number, row))
                if len(chunk) >= self.chunk_rows:
                    for result in await self._chunk(chunk, publisher):
                        yield result
                    chunk = []
        else:
            for row in rows:  # type: ignore[union-attr]
                number += 1
                chunk.append((number, row))
                if len(chunk) >= self.chunk_rows:
                    for result in await self._chunk(chunk, publisher):
                        yield result
                    chunk = []
        if chunk:
            for result in await self._chunk(chunk, publisher):
                yield result

    async def _chunk(self, chunk: list[tuple[int, Any]], publisher: Publisher) -> list[dict[str, Any]]:
        now = self.clock()
        prepared = [(n, self._submission(n, row, publisher, now)) for n, row in chunk]
        submissions = [s for _, s in prepared if isinstance(s, Submission)]
        results: dict[int, dict[str, Any]] = {n: s for n, s in prepared if isinstance(s, dict)}
        if submissions:
            async with self.unit_of_work() as uow:
                processed = await process(uow.store, submissions, enforce=self.publishers.enforce, today=now.date())
                parked = [park_row(s, r, now, lambda v: v) for s, r in zip(submissions, processed.results, strict=True) if r.status == "waiting"]
                await uow.store.park(parked)
                await uow.outbox.add([encode(e, source="/hoctap/registry", now=now) for e in processed.events])
                await uow.commit()
            numbers = [n for n, s in prepared if isinstance(s, Submission)]
            for n, submission, result in zip(numbers, submissions, processed.results, strict=True):
                entry: dict[str, Any] = {"row": n, "status": result.status, "event_id": submission.event_id}
                if result.code and result.status != "applied":
                    entry["code"] = result.code
                if result.reason:
                    entry["reason"] = result.reason
                results[n] = entry
            if processed.events or any(r.status == "waiting" for r in processed.results):
                self.on_change()
        return [results[n] for n, _ in chunk]


def ndjson_row(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        return {"__error__": f"row {number}: not valid JSON: {error.msg}"}
