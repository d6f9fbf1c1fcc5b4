"""The CloudEvents 1.0 envelope in Kafka *binary* content mode.

Binary mode: every context attribute travels as a `ce_<name>` header, the event data is the
record value (JSON, `content-type: application/json`), and the record key is the partition key
(the entity the event is about). Consumers can route and deduplicate on headers without parsing
the value, and a malformed value never hides the event id.
See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import NamedTuple

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
HEADER_PREFIX = "ce_"
REQUIRED_ATTRIBUTES = ("id", "source", "specversion", "type")
MAX_ATTRIBUTE_LENGTH = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTEXT_ATTRIBUTES = frozenset({"id", "source", "specversion", "type", "time", "subject", "dataschema"})


class EnvelopeError(ValueError):
    """The record is not a valid CloudEvent; the message says which attribute and why."""


class CloudEvent(NamedTuple):
    """The context attributes of one event (the data travels beside it, as bytes).

    A NamedTuple rather than a frozen dataclass: as immutable, and built in half the time, on
    every record a consumer reads."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None = None
    dataschema: str | None = None
    datacontenttype: str = CONTENT_TYPE
    extensions: Mapping[str, str] = MappingProxyType({})  # read-only: one default for all

    @property
    def correlation_id(self) -> str | None:
        return self.extensions.get("correlationid")

    @property
    def origin_time(self) -> datetime | None:
        """When the fact this event descends from entered hoctap (extension `origintime`), if known."""
        text = self.extensions.get("origintime")
        if text is None:
            return None
        try:
            return parse_time(text)
        except EnvelopeError:
            return None

    def to_headers(self) -> list[tuple[str, bytes]]:
        """Encode as Kafka headers (binary mode)."""
        headers = [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", format_time(self.time).encode()),
            ("content-type", self.datacontenttype.encode()),
        ]
        if self.subject is not None:
            headers.append(("ce_subject", self.subject.encode()))
        if self.dataschema is not None:
            headers.append(("ce_dataschema", self.dataschema.encode()))
        headers.extend((HEADER_PREFIX + k, v.encode()) for k, v in sorted(self.extensions.items()))
        return headers

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, bytes | None]]) -> CloudEvent:
        """Decode the binary-mode headers of a record, or raise EnvelopeError saying what is wrong."""
        headers = tuple(headers)
        attributes, content_type = _read_fast(headers) or _read_checked(headers)
        missing = [a for a in REQUIRED_ATTRIBUTES if not attributes.get(a)]
        if missing:
            raise EnvelopeError(
                "missing CloudEvents attribute(s): " + ", ".join(f"ce_{a}" for a in missing)
            )
        if attributes["specversion"] != SPEC_VERSION:
            raise EnvelopeError(
                f"ce_specversion is {attributes['specversion']!r}; only {SPEC_VERSION!r} is accepted"
            )
        if content_type is not None and content_type.split(";")[0].strip() != CONTENT_TYPE:
            raise EnvelopeError(f"content-type is {content_type!r}; events must be {CONTENT_TYPE}")
        if "time" not in attributes:
            raise EnvelopeError("missing CloudEvents attribute ce_time (RFC 3339 timestamp)")
        return cls(
            attributes["id"],
            attributes["source"],
            attributes["type"],
            parse_time(attributes["time"]),
            attributes.get("subject"),
            attributes.get("dataschema"),
            CONTENT_TYPE,
            {k: v for k, v in attributes.items() if k not in _CONTEXT_ATTRIBUTES},
        )


_Attributes = tuple[dict[str, str], str | None]


def _read_fast(headers: tuple[tuple[str, bytes | None], ...]) -> _Attributes | None:
    """The attributes of well-formed headers in one pass, or None to have `_read_checked` say
    what is wrong: every value decodes, and all together are printable (no control character)
    and none is too long. About a third of the per-header checks' cost, on every record."""
    attributes: dict[str, str] = {}
    content_type = None
    texts = []  # every value read, a repeated header's earlier ones too
    try:
        for name, raw in headers:
            if name[:3] == HEADER_PREFIX:
                texts.append(text := raw.decode())  # type: ignore[union-attr]
                attributes[name[3:]] = text
            elif name == "content-type":
                texts.append(content_type := raw.decode())  # type: ignore[union-attr]
    except (AttributeError, UnicodeDecodeError):
        return None  # a value missing or not UTF-8
    if not "".join(texts).isprintable() or max(map(len, texts), default=0) > MAX_ATTRIBUTE_LENGTH:
        return None  # printable is stricter than "no control character": the checks decide
    return attributes, content_type


def _read_checked(headers: Iterable[tuple[str, bytes | None]]) -> _Attributes:
    attributes: dict[str, str] = {}
    content_type = None
    for name, raw in headers:
        if name == "content-type":
            content_type = _text(name, raw)
        elif name.startswith(HEADER_PREFIX):
            attributes[name[len(HEADER_PREFIX) :]] = _text(name, raw)
    return attributes, content_type


def _text(name: str, raw: bytes | None) -> str:
    if raw is None:
        raise EnvelopeError(f"header {name} has no value")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EnvelopeError(f"header {name} is not valid UTF-8") from error
    if len(text) > MAX_ATTRIBUTE_LENGTH:
        raise EnvelopeError(f"header {name} is longer than {MAX_ATTRIBUTE_LENGTH} characters")
    if _CONTROL.search(text):
        raise EnvelopeError(f"header {name} contains control characters")
    return text


@functools.lru_cache(maxsize=64)
def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z suffix (cached: a batch stamps all its events with one time)."""
    if moment.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=256)
def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp, requiring an offset (cached: the events of one outbox batch
    share their time and their origin time)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise EnvelopeError(f"ce_time {text!r} is not an RFC 3339 timestamp") from error
    if moment.tzinfo is None:
        raise EnvelopeError(f"ce_time {text!r} has no UTC offset")
    return moment
