"""Hypothesis strategies for Kafka records of the catalogue: payloads shaped by each type's published
JSON Schema (shared/events/schemas), hostile payloads, and valid or broken CloudEvents headers.

Used by the contract fuzz test (`decode` alone) and by the integration test that pushes a batch
through the registry's consumer on the real PostgreSQL.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from shared.consumer import MAX_VALUE_BYTES, Delivery
from shared.events.base import EventData
from shared.events.envelope import format_time

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "events" / "schemas"

# Characters that break naive handling: NUL and controls, bidirectional overrides and marks, zero
# widths, combining marks, a BOM, non-characters, astral planes, Vietnamese in both normal forms.
ODD_CHARACTERS = (
    "\x00", "\x07", "\x1b", "\x7f", "\u0085", "\u2028", "\u2029",
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2067", "\u2069",
    "\u200b", "\u200d", "\u2060", "\ufeff", "\ufffe", "\uffff", "\ufffd",
    "\u0301", "\u0303", "\u0323", "\u0309", "\u0300" * 30,
    "\U0001f600", "\U0010ffff", "\U000e0001",
    "Xã Hòa Lợi", "Xa\u0303 Ho\u0300a Lo\u031bi", "ấp", "'; DROP TABLE citizens; --", "${jndi:ldap://x}",
    "%s%n", "../../etc/passwd", "<script>", "\\", '"',
)
LONE_SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")

odd_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(ODD_CHARACTERS),
        st.sampled_from(LONE_SURROGATES),
    ),
    max_size=12,
).map("".join)


def schema_of(cls: type[EventData]) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{cls.TYPE}.json").read_text(encoding="utf-8"))


@functools.cache
def shaped_values(cls: type[EventData]) -> st.SearchStrategy[dict[str, Any]]:
    """Payload objects valid under the type's published JSON Schema."""
    return from_schema(schema_of(cls))


def from_schema(schema: dict[str, Any], root: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Instances of the subset of JSON Schema pydantic writes for our events."""
    root = root or schema
    if "$ref" in schema:
        return from_schema(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "anyOf" in schema:
        return st.one_of(*(from_schema(option, root) for option in schema["anyOf"]))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {name: from_schema(sub, root) for name, sub in properties.items() if name in required},
            optional={name: from_schema(sub, root) for name, sub in properties.items() if name not in required},
        )
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(from_schema(schema.get("items", {}), root), min_size=low, max_size=max(low, min(schema.get("maxItems", 4), 4)))
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return json_values


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("format") == "date":
        return st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat)
    if schema.get("format") == "date-time":
        return st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)).map(format_time)
    low, high = schema.get("minLength", 0), schema.get("maxLength", 300)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    # Valid Unicode only (a lone surrogate is not a string JSON Schema describes; the hostile payloads have them).
    return st.lists(st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD_CHARACTERS)),
                    min_size=low, max_size=min(high, 40)).map("".join).filter(lambda s: low <= len(s) <= high)


valid_text = st.lists(st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD_CHARACTERS)), max_size=12).map("".join)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(10**40), 10**40),
    st.floats(allow_nan=False, allow_infinity=False), odd_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(odd_text, children, max_size=4)),
    max_leaves=12,
)


def to_bytes(value: Any, *, ascii_only: bool) -> bytes:
    """JSON text of `value`; lone surrogates travel as \\u escapes, or as CESU-like bytes (invalid UTF-8)."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=False)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def shaped_payload(draw: st.DrawFn, cls: type[EventData]) -> bytes:
    """A payload valid under the type's published JSON Schema (cross-field rules may still refuse it)."""
    return to_bytes(draw(shaped_values(cls)), ascii_only=True)


@st.composite
def hostile_payload(draw: st.DrawFn, cls: type[EventData]) -> bytes | None:
    """A schema-shaped payload, broken one way, or bytes that are not a payload at all."""
    shaped: dict[str, Any] = draw(shaped_values(cls))
    names = sorted(shaped)
    damage = draw(st.sampled_from(("wrong_type", "missing", "extra", "huge", "oversized", "odd", "nested", "raw", "absent", "json", "literal")))
    if damage == "wrong_type" and names:
        shaped[draw(st.sampled_from(names))] = draw(json_values)
    elif damage == "missing" and names:
        del shaped[draw(st.sampled_from(names))]
    elif damage == "extra":
        shaped[draw(odd_text.filter(lambda k: k not in shaped))] = draw(json_values)
    elif damage == "huge" and names:
        size = draw(st.sampled_from((5_000, 200_000)))
        shaped[draw(st.sampled_from(names))] = draw(st.sampled_from(("x", "9", "\u0301", "ấ", "\u202e"))) * size
    elif damage == "oversized":
        return to_bytes(shaped, ascii_only=True)[:-1] + b', "padding": "' + b"x" * MAX_VALUE_BYTES + b'"}'
    elif damage == "odd" and names:
        shaped[draw(st.sampled_from(names))] = draw(odd_text)
    elif damage == "nested":
        depth = draw(st.sampled_from((50, 300, 5_000, 100_000)))
        inner = "[" * depth + "]" * depth if draw(st.booleans()) else '{"a":' * depth + "1" + "}" * depth
        name = draw(st.sampled_from(names)) if names else "x"
        body = to_bytes({k: v for k, v in shaped.items() if k != name}, ascii_only=True)
        return body[:-1] + (b", " if len(body) > 2 else b"") + json.dumps(name).encode() + b": " + inner.encode() + b"}"
    elif damage == "absent":
        return None
    elif damage == "raw":
        return draw(st.one_of(st.none(), st.binary(max_size=64), st.sampled_from(RAW_VALUES)))
    elif damage == "json":
        return to_bytes(draw(json_values), ascii_only=draw(st.booleans()))
    elif damage == "literal":
        return draw(st.sampled_from(LITERALS))
    return to_bytes(shaped, ascii_only=draw(st.booleans()))


RAW_VALUES = (
    b"", b" ", b"\x00", b"null", b"[]", b"\xef\xbb\xbf{}", b"\xff\xfe{\x00}\x00", b"\xc3\x28", b"\xed\xa0\x80",
    b'{"a": "\xed\xa0\x80"}', b"{" * 2000, b"}" * 20, b'{"a": 1} trailing', b"\x1f\x8b\x08\x00",
)
LITERALS = (
    b'{"birth_year": NaN}', b'{"birth_year": Infinity}', b'{"year": 1e400}', b'{"year": -0}',
    b'{"year": 1' + b"0" * 5000 + b"}", b'{"household_id": "a", "household_id": "b"}',
    b'{"household_id": "\\ud800"}', b'{"name": "\\u0000"}', b'{"code": "\\udfff\\ud800"}',
    b'{"national_id": "079201001234", "citizen_id": ', b'{"citizen_id": "c-1", "birth_year": "1980"}',
)


def headers_for(cls: type[EventData], *, source: str = "/vn/84/statistics", event_id: str = "e-1",
                at: datetime = datetime(2026, 11, 1, tzinfo=UTC)) -> list[tuple[str, bytes | None]]:
    return [
        ("ce_specversion", b"1.0"), ("ce_id", event_id.encode()), ("ce_source", source.encode()),
        ("ce_type", cls.TYPE.encode()), ("ce_time", format_time(at).encode()), ("content-type", b"application/json"),
    ]


HEADER_NAMES = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type", "ce_subject", "ce_dataschema")
ODD_TIMES = (
    "", "yesterday", "2026-11-01", "2026-11-01T00:00:00", "2026-13-01T00:00:00Z", "2026-11-01T24:00:00Z",
    "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1970-01-01T00:00:00Z", "2026-11-01T00:00:00.123456789Z",
    "2026-11-01t00:00:00z", "2026-11-01T00:00:00+24:00", "\u0662\u0660\u0662\u0666-\u0661\u0661-\u0660\u0661T00:00:00Z", "2026-11-01T00:00:00\u202eZ",
)


@st.composite
def hostile_headers(draw: st.DrawFn, cls: type[EventData], event_id: str = "e-1",
                    source: str = "/vn/84/statistics") -> list[tuple[str, bytes | None]]:
    """Valid headers for `cls`, then zero or more of: dropped, emptied, replaced, duplicated, added."""
    headers = headers_for(cls, event_id=event_id, source=source)
    for _ in range(draw(st.integers(0, 3))):
        damage = draw(st.sampled_from(("drop", "none", "bytes", "text", "long", "spec", "time", "type", "add", "dup")))
        position = draw(st.integers(0, len(headers) - 1)) if headers else 0
        if damage == "drop" and headers:
            del headers[position]
        elif damage == "none" and headers:
            headers[position] = (headers[position][0], None)
        elif damage == "bytes" and headers:
            headers[position] = (headers[position][0], draw(st.one_of(st.binary(max_size=40), st.sampled_from(RAW_VALUES))))
        elif damage == "text" and headers:
            headers[position] = (headers[position][0], draw(odd_text).encode("utf-8", "surrogatepass"))
        elif damage == "long" and headers:
            headers[position] = (headers[position][0], b"a" * draw(st.sampled_from((512, 513, 100_000))))
        elif damage == "spec":
            headers.append(("ce_specversion", draw(st.sampled_from((b"0.3", b"1.0 ", b"", b"1.0\x00", b"2.0")))))
        elif damage == "time":
            headers = [h for h in headers if h[0] != "ce_time"] + [("ce_time", draw(st.sampled_from(ODD_TIMES)).encode())]
        elif damage == "type":
            other = draw(st.one_of(st.sampled_from(TYPE_NAMES), odd_text, st.just(cls.TYPE[:-1] + "2"), st.just(cls.TYPE.upper())))
            headers = [h for h in headers if h[0] != "ce_type"] + [("ce_type", other.encode("utf-8", "surrogatepass"))]
        elif damage == "add":
            # Kafka header names are UTF-8: odd, but never a lone surrogate. Without NUL, for now: see
            # test_a_refused_record_with_a_nul_in_a_header_name_is_still_dead_lettered.
            names = valid_text.map(lambda t: t.replace("\x00", ""))
            name = draw(st.one_of(st.sampled_from(HEADER_NAMES), names.map(lambda t: "ce_" + t), names))
            headers.append((name, draw(st.one_of(st.none(), st.binary(max_size=20), odd_text.map(lambda t: t.encode("utf-8", "surrogatepass"))))))
        elif damage == "dup" and headers:
            headers.append(headers[position])
    return headers


def _every_type() -> tuple[str, ...]:
    from shared.events.catalogue import TOPICS

    return tuple(sorted({cls.TYPE for topic in TOPICS for cls in topic.event_types}))


TYPE_NAMES = _every_type()


def delivery(topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes | None]], offset: int = 0) -> Delivery:
    return Delivery(topic=topic, partition=0, offset=offset, key=key, value=value, headers=tuple(headers))
