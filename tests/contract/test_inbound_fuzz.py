"""Fuzzing the decoding of every record type of the catalogue: whatever arrives on a topic (a shaped
payload, a broken one, random bytes, odd Unicode, broken CloudEvents headers), `decode` answers with
the payload or with a dead letter that says specifically what is wrong. It never raises.

Deterministic (derandomized, no example database) and small enough for `make test`.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from shared.consumer import DEAD_LETTER_CODES, MAX_VALUE_BYTES, DeadLetter, Received, decode
from shared.events.base import EventData
from shared.events.catalogue import REGISTRY_INBOUND, TOPICS, TopicSpec

from .inbound_strategies import (
    delivery,
    headers_for,
    hostile_headers,
    hostile_payload,
    shaped_payload,
)

FUZZ = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
CARRYING = [topic for topic in TOPICS if topic.event_types]


def types_of(topic: TopicSpec) -> st.SearchStrategy[type[EventData]]:
    return st.sampled_from(sorted(topic.event_types, key=lambda cls: cls.TYPE))


# Every (topic, type) pair of the catalogue, the inbound facts weighted as the hostile boundary.
topics_and_types = st.one_of(
    types_of(REGISTRY_INBOUND).map(lambda cls: (REGISTRY_INBOUND, cls)),
    st.sampled_from([(topic, cls) for topic in CARRYING for cls in sorted(topic.event_types, key=lambda c: c.TYPE)]),
)


def assert_answered(result: object, topic: TopicSpec) -> None:
    """A Received of an accepted type, or a dead letter from the closed set with a reason that names
    what is wrong (a header, the type, the size, or the class and field)."""
    assert isinstance(result, (Received, DeadLetter)), result
    if isinstance(result, Received):
        assert type(result.data) in topic.event_types
        return
    assert result.code in DEAD_LETTER_CODES
    reason = result.reason
    assert reason.strip() and len(reason) < 5_000, reason
    if result.code == "malformed_envelope":
        assert "ce_" in reason or "content-type" in reason or "header" in reason, reason
    elif result.code == "unknown_type":
        assert result.envelope is not None and ("not accepted" in reason or "not supported" in reason), reason
    elif result.code == "oversized":
        assert f"the limit is {MAX_VALUE_BYTES}" in reason, reason
    elif result.code in ("invalid_data", "malformed_json"):
        assert result.envelope is not None
        assert reason.startswith(f"{topic.types_by_name()[result.envelope.type].__name__}: "), reason
        assert reason.split(": ", 1)[1].strip(), reason


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_a_payload_shaped_by_the_published_schema_is_accepted_or_refused_by_a_cross_field_rule(data: st.DataObject) -> None:
    topic, cls = data.draw(topics_and_types)
    value = data.draw(shaped_payload(cls))
    result = decode(delivery(topic.name, b"k", value, headers_for(cls)), topic.types_by_name(), frozenset())
    assert_answered(result, topic)
    if isinstance(result, DeadLetter):
        # The JSON Schema publishes every per-field constraint; what it cannot say are rules across
        # fields (a province has no parent, counts that must not exceed others ...).
        assert result.code == "invalid_data" and "Value error, " in result.reason, (result.reason, value)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_a_hostile_payload_is_a_dead_letter_with_a_specific_reason_never_an_exception(data: st.DataObject) -> None:
    topic, cls = data.draw(topics_and_types)
    value = data.draw(hostile_payload(cls))
    key = data.draw(st.one_of(st.none(), st.binary(max_size=70)))
    result = decode(delivery(topic.name, key, value, headers_for(cls)), topic.types_by_name(), frozenset())
    assert_answered(result, topic)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_broken_cloudevents_headers_are_a_dead_letter_naming_the_header(data: st.DataObject) -> None:
    topic, cls = data.draw(topics_and_types)
    headers = data.draw(hostile_headers(cls))
    value = data.draw(st.one_of(shaped_payload(cls), hostile_payload(cls)))
    result = decode(delivery(topic.name, b"k", value, headers), topic.types_by_name(), frozenset())
    assert_answered(result, topic)


@settings(FUZZ, max_examples=50)
@given(data=st.data())
def test_a_consumer_skips_only_the_known_types_it_does_not_handle(data: st.DataObject) -> None:
    topic = data.draw(st.sampled_from([t for t in CARRYING if len(t.event_types) > 1]))
    handled = data.draw(st.lists(types_of(topic), min_size=1, unique=True))
    accepted = topic.accepting(*handled)
    ignored = frozenset(topic.types_by_name()) - set(accepted)
    cls = data.draw(types_of(topic))
    value = data.draw(st.one_of(shaped_payload(cls), hostile_payload(cls)))
    result = decode(delivery(topic.name, b"k", value, data.draw(hostile_headers(cls))), accepted, ignored)
    if result is None:
        return
    assert_answered(result, topic)
    if isinstance(result, Received):
        assert type(result.data) in handled


@pytest.mark.parametrize("outcome", ["received", *(c for c in DEAD_LETTER_CODES if c not in ("rejected", "processing_error"))])
def test_the_strategies_reach_every_outcome_of_decoding(outcome: str) -> None:
    """Not vacuous: the generated records reach every answer `decode` can give (the handler's own
    refusals, `rejected` and `processing_error`, come later)."""

    @st.composite
    def decoded(draw: st.DrawFn) -> str:
        cls = draw(types_of(REGISTRY_INBOUND))
        headers = draw(st.one_of(st.just(headers_for(cls)), hostile_headers(cls)))
        value = draw(st.one_of(shaped_payload(cls), hostile_payload(cls)))
        result = decode(delivery(REGISTRY_INBOUND.name, b"k", value, headers), REGISTRY_INBOUND.types_by_name(), frozenset())
        return result.code if isinstance(result, DeadLetter) else "received"

    found = find(decoded(), lambda code: code == outcome, settings=settings(FUZZ, max_examples=3000, phases=[Phase.generate]))
    assert found == outcome


def test_a_lone_surrogate_escaped_in_json_is_refused_as_malformed_json_saying_where() -> None:
    cls = REGISTRY_INBOUND.types_by_name()["vn.hoctap.inbound.household-registered.v1"]
    value = json.dumps({"household_id": "hh-1", "hamlet_code": "\ud800", "registered_on": "2021-01-01"}).encode()
    assert b"\\ud800" in value
    result = decode(delivery(REGISTRY_INBOUND.name, b"k", value, headers_for(cls)), REGISTRY_INBOUND.types_by_name(), frozenset())
    assert isinstance(result, DeadLetter) and result.code == "malformed_json"
    assert result.reason.startswith("HouseholdRegistered: (payload): Invalid JSON:") and "column 48" in result.reason
