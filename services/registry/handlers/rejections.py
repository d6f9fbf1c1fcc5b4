"""Telling publishers what the registry refused: a rejection event keyed by their own event id."""

from __future__ import annotations

from shared.consumer import DeadLetter, Delivery, redact_text
from shared.events.catalogue import REGISTRY_REJECTIONS
from shared.events.registry import InboundRejected
from shared.outbox import Outgoing

from ..adapters.privacy import redact


def _header(delivery: Delivery, name: str) -> str:
    raw = next((value for key, value in delivery.headers if key == name), None)
    return raw.decode("utf-8", "replace")[:200] if raw else ""


def rejection(delivery: Delivery, code: str, reason: str, *, event_id: str = "", source: str = "", event_type: str | None = None) -> Outgoing:
    """The type is the publisher's own text and is redacted like the dead letter's (the id and
    source, the record's identity, are kept so the publisher can find it)."""
    rejected_id = event_id or _header(delivery, "ce_id")
    data = InboundRejected(
        rejected_id=rejected_id,
        rejected_source=source or _header(delivery, "ce_source"),
        rejected_type=redact_text(event_type or _header(delivery, "ce_type"), redact) or None,
        reason_code=code,
        reason=reason,
        topic=delivery.topic,
        partition=delivery.partition,
        offset=delivery.offset,
    )
    key = rejected_id or f"{delivery.topic}/{delivery.partition}/{delivery.offset}"
    return Outgoing(REGISTRY_REJECTIONS, key, data, id_seed=f"registry/rejected/{key}/{delivery.topic}/{delivery.partition}/{delivery.offset}/{code}")


def rejection_for(letter: DeadLetter) -> list[Outgoing]:
    """The rejection event for a dead letter (malformed, unknown type, invalid or refused). The
    consumer hands over the reason already redacted."""
    code, reason = letter.code, letter.reason
    if letter.code == "rejected" and ": " in letter.reason:
        code, reason = letter.reason.split(": ", 1)
    envelope = letter.envelope
    return [
        rejection(
            letter.delivery,
            code,
            reason,
            event_id=envelope.id if envelope else "",
            source=envelope.source if envelope else "",
            event_type=envelope.type if envelope else None,
        )
    ]
