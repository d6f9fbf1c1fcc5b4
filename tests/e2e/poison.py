"""Poison events for registry.inbound.v1: each with a valid envelope (so its id can be found on
the dead-letter topic) and a payload that must be refused, and the reason code expected."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from shared.events.envelope import CloudEvent

SOURCE = "/demo/tra-vinh-commune-records"
HOUSEHOLD = "vn.hoctap.inbound.household-registered.v1"

# event id -> (expected reason code, what it is)
POISON: dict[str, tuple[str, str]] = {
    "poison-malformed-json": ("malformed_json", "a value that is not JSON"),
    "poison-wrong-types": ("invalid_data", "fields of the wrong type"),
    "poison-unknown-type": ("unknown_type", "an event type nobody publishes"),
    "poison-unknown-version": ("unknown_type", "a version of a known type that does not exist"),
    "poison-10mb": ("oversized", "a 10 MB payload"),
    "poison-nul-rtl": ("invalid_data", "a right-to-left override and a NUL character inside an identifier"),
    "poison-lone-surrogate": ("malformed_json", "a lone UTF-16 surrogate escaped in JSON"),
    "poison-not-utf8": ("malformed_json", "bytes that are not UTF-8"),
    "poison-header-not-utf8": ("malformed_envelope", "a header whose value is not UTF-8"),
    "poison-header-null": ("malformed_envelope", "a header with no value"),
}


def _headers(event_id: str, event_type: str = HOUSEHOLD) -> list[tuple[str, bytes]]:
    envelope = CloudEvent(id=event_id, source=SOURCE, type=event_type, time=datetime.now(UTC), subject="poison")
    return envelope.to_headers()


def poison_records(topic: str) -> list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes | None]]]]:
    household = {"household_id": "hh-poison", "hamlet_code": "29401-01", "registered_on": "2020-01-01"}
    return [
        (topic, b"hh-poison", b'{"household_id": "hh-poison", ', _headers("poison-malformed-json")),
        (topic, b"hh-poison", json.dumps({**household, "registered_on": 17, "hamlet_code": ["x"]}).encode(),
         _headers("poison-wrong-types")),
        (topic, b"hh-poison", json.dumps(household).encode(), _headers("poison-unknown-type", "vn.hoctap.inbound.household-teleported.v1")),
        (topic, b"hh-poison", json.dumps(household).encode(), _headers("poison-unknown-version", "vn.hoctap.inbound.household-registered.v9")),
        (topic, b"hh-poison", json.dumps({**household, "note": "x" * (10 * 1024 * 1024)}).encode(), _headers("poison-10mb")),
        (topic, b"hh-poison", json.dumps({**household, "household_id": "hh-\u202epoison\u0000"}).encode(), _headers("poison-nul-rtl")),
        (topic, b"hh-poison", b'{"household_id": "hh-\\ud800", "hamlet_code": "29401-01", "registered_on": "2020-01-01"}',
         _headers("poison-lone-surrogate")),
        (topic, b"hh-poison", b'{"household_id": "hh-\xff\xfe", "hamlet_code": "29401-01", "registered_on": "2020-01-01"}',
         _headers("poison-not-utf8")),
        (topic, b"hh-poison", json.dumps(household).encode(),
         [*_headers("poison-header-not-utf8"), ("ce_note", "Ấp".encode("utf-16"))]),
        (topic, b"hh-poison", json.dumps(household).encode(), [*_headers("poison-header-null"), ("ce_note", None)]),
    ]
