from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.events.envelope import CloudEvent, EnvelopeError, _read_checked, _read_fast

MOMENT = datetime(2026, 11, 28, 5, 30, tzinfo=UTC)


def headers(**overrides: bytes | None) -> list[tuple[str, bytes | None]]:
    base = {
        "ce_specversion": b"1.0",
        "ce_id": b"e-1",
        "ce_source": b"/commune/29398",
        "ce_type": b"vn.hoctap.inbound.household-registered.v1",
        "ce_time": b"2026-11-28T05:30:00Z",
        "content-type": b"application/json",
    }
    base.update(overrides)
    return [(k, v) for k, v in base.items() if v is not None]


def test_binary_mode_headers_round_trip_every_attribute() -> None:
    event = CloudEvent(
        id="e-1",
        source="/registry",
        type="vn.hoctap.registry.household-changed.v1",
        time=MOMENT,
        subject="hh-1",
        dataschema="urn:hoctap:schema:x",
        extensions={"correlationid": "c-9"},
    )
    decoded = CloudEvent.from_headers(event.to_headers())
    assert decoded == event
    assert decoded.correlation_id == "c-9"


def test_missing_required_attributes_are_named_in_the_error() -> None:
    with pytest.raises(EnvelopeError, match="ce_id, ce_source"):
        CloudEvent.from_headers(headers(ce_id=None, ce_source=None))


def test_an_unsupported_spec_version_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="ce_specversion is '0.3'"):
        CloudEvent.from_headers(headers(ce_specversion=b"0.3"))


def test_a_time_without_offset_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="no UTC offset"):
        CloudEvent.from_headers(headers(ce_time=b"2026-11-28T05:30:00"))


def test_a_non_json_content_type_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="application/xml"):
        CloudEvent.from_headers(headers(**{"content-type": b"application/xml"}))


def test_control_characters_in_an_attribute_are_refused() -> None:
    with pytest.raises(EnvelopeError, match="control characters"):
        CloudEvent.from_headers(headers(ce_subject=b"hh-1\r\nX-Injected: yes"))


def test_invalid_utf8_in_a_header_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="not valid UTF-8"):
        CloudEvent.from_headers(headers(ce_id=b"\xff\xfe"))


_values = st.one_of(
    st.none(),
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
    st.text(alphabet="ab\u00a0\u200b\x7f\x1f ", min_size=500, max_size=520).map(str.encode),
)


@given(st.lists(st.tuples(st.sampled_from(["ce_id", "ce_type", "ce_x", "content-type", "other"]), _values), max_size=6))
def test_the_one_pass_reading_of_headers_accepts_only_what_the_checks_accept_and_reads_it_the_same(
    headers: list[tuple[str, bytes | None]],
) -> None:
    headers_ = tuple(headers)
    fast = _read_fast(headers_)
    try:
        checked = _read_checked(headers_)
    except EnvelopeError:
        assert fast is None
    else:
        assert fast is None or fast == checked


def test_a_header_with_an_unusual_but_allowed_character_is_read_by_the_checks() -> None:
    """A zero-width space is not printable, so the one-pass reading hands it to the checks,
    which accept it: no control character."""
    headers_ = [*headers(), ("ce_subject", "hh\u200b1".encode())]
    assert _read_fast(tuple(headers_)) is None
    assert CloudEvent.from_headers(headers_).subject == "hh\u200b1"
