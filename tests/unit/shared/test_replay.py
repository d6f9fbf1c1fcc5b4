from datetime import UTC, datetime

from shared.consumer import DeadLetter, Delivery, dead_letter_record
from shared.replay import DeadLetterRecord, Selection, latest_per_identity


def letter(value: bytes, headers: tuple[tuple[str, bytes], ...], code: str = "malformed_json", offset: int = 0,
           at: datetime = datetime(2026, 11, 28, tzinfo=UTC)) -> DeadLetterRecord:
    delivery = Delivery("registry.inbound.v1", 3, 41, b"hh-1", value, headers)
    record = dead_letter_record(DeadLetter(delivery, code, "why"), service="registry", now=at)
    return DeadLetterRecord(offset, record.key, record.value, record.headers)


def test_the_original_headers_come_back_without_the_dead_letter_ones() -> None:
    original = (("ce_id", b"e-1"), ("ce_source", b"/s"), ("content-type", b"application/json"))
    assert letter(b"{}", original).original_headers() == list(original)


def test_a_record_without_an_envelope_is_identified_as_the_consumer_identified_it() -> None:
    delivery = Delivery("registry.inbound.v1", 3, 41, b"hh-1", b"{not json", ())
    assert letter(b"{not json", ()).identity == delivery.fallback_identity()


def test_an_envelope_identifies_its_record() -> None:
    assert letter(b"{}", (("ce_id", b"e-1"), ("ce_source", b"/s"))).identity == ("/s", "e-1")


def test_selection_by_reason_event_and_time() -> None:
    old = letter(b"{}", (("ce_id", b"e-1"), ("ce_source", b"/s")), code="rejected", at=datetime(2026, 1, 1, tzinfo=UTC))
    new = letter(b"{}", (("ce_id", b"e-2"), ("ce_source", b"/s")), code="processing_error")
    assert [r for r in (old, new) if Selection(frozenset({"rejected"}))(r)] == [old]
    assert [r for r in (old, new) if Selection(event_ids=frozenset({"e-2"}))(r)] == [new]
    assert [r for r in (old, new) if Selection(since=datetime(2026, 6, 1, tzinfo=UTC))(r)] == [new]
    assert [r for r in (old, new) if Selection()(r)] == [old, new]


def test_a_fact_dead_lettered_again_after_a_replay_is_replayed_once() -> None:
    headers = (("ce_id", b"e-1"), ("ce_source", b"/s"))
    first, again = letter(b"{}", headers, offset=1), letter(b"{}", headers, offset=9)
    assert latest_per_identity([first, again]) == [again]


def test_without_a_redaction_a_dead_letter_keeps_key_headers_and_reason_as_they_came() -> None:
    headers = (("ce_id", b"e-1"), ("ce_source", b"/s"), ("ce_subject", b"079201001234"))
    delivery = Delivery("registry.inbound.v1", 0, 7, b"079201001234", b"{}", headers)
    record = dead_letter_record(DeadLetter(delivery, "rejected", "why 079201001234"), service="registry",
                                now=datetime(2026, 11, 28, tzinfo=UTC))
    assert record.key == b"079201001234" and record.header("ce_subject") == b"079201001234"
    assert record.header("hoctap_dlq_reason") == b"why 079201001234"


def test_a_redaction_cleans_key_headers_and_reason_but_not_the_identity() -> None:
    headers = (("ce_id", b"123456789012"), ("ce_source", b"/s"), ("ce_subject", b"079201001234"))
    delivery = Delivery("registry.inbound.v1", 0, 7, b"079201001234", b"{}", headers)
    record = dead_letter_record(DeadLetter(delivery, "rejected", "why 079201001234"), service="registry",
                                now=datetime(2026, 11, 28, tzinfo=UTC), redact=lambda raw: raw.replace(b"079201001234", b"[x]"))
    assert record.key == b"[x]" and record.header("ce_subject") == b"[x]"
    assert record.header("hoctap_dlq_reason") == b"why [x]"
    assert record.header("ce_id") == b"123456789012"
