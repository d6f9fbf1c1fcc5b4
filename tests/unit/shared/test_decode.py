from shared.consumer import DeadLetter, Delivery, Received, decode
from shared.events.catalogue import REGISTRY_INBOUND
from shared.events.inbound import HouseholdRegistered
from shared.testing import record_of

ACCEPTED = REGISTRY_INBOUND.types_by_name()


def delivery_of(record) -> Delivery:  # type: ignore[no-untyped-def]
    return Delivery.from_record(record)


def household() -> HouseholdRegistered:
    return HouseholdRegistered(household_id="hh-1", hamlet_code="29398-01", registered_on="2020-01-01")


def with_value(value: bytes | None, record=None) -> Delivery:  # type: ignore[no-untyped-def]
    base = delivery_of(record or record_of(REGISTRY_INBOUND, "hh-1", household()))
    return Delivery(base.topic, base.partition, base.offset, base.key, value, base.headers)


def test_a_valid_record_decodes_to_its_payload_class() -> None:
    result = decode(delivery_of(record_of(REGISTRY_INBOUND, "hh-1", household())), ACCEPTED, frozenset())
    assert isinstance(result, Received)
    assert result.data == household()


def test_malformed_json_is_a_dead_letter_saying_so() -> None:
    result = decode(with_value(b'{"household_id": '), ACCEPTED, frozenset())
    assert isinstance(result, DeadLetter)
    assert result.code == "malformed_json"


def test_a_missing_field_is_a_dead_letter_naming_the_field() -> None:
    result = decode(with_value(b'{"household_id": "hh-1", "registered_on": "2020-01-01"}'), ACCEPTED, frozenset())
    assert isinstance(result, DeadLetter)
    assert result.code == "invalid_data"
    assert "hamlet_code: Field required" in result.reason


def test_a_wrong_type_is_a_dead_letter_naming_the_field() -> None:
    value = b'{"household_id": "hh-1", "hamlet_code": "29398-01", "registered_on": "last year"}'
    result = decode(with_value(value), ACCEPTED, frozenset())
    assert isinstance(result, DeadLetter)
    assert "registered_on" in result.reason


def test_an_unknown_version_names_the_supported_one() -> None:
    base = delivery_of(record_of(REGISTRY_INBOUND, "hh-1", household()))
    headers = tuple(
        (k, b"vn.hoctap.inbound.household-registered.v2" if k == "ce_type" else v) for k, v in base.headers
    )
    result = decode(Delivery(base.topic, 0, 0, base.key, base.value, headers), ACCEPTED, frozenset())
    assert isinstance(result, DeadLetter)
    assert result.code == "unknown_type"
    assert "v2" in result.reason and "household-registered.v1" in result.reason


def test_a_record_without_envelope_is_a_dead_letter_with_a_stable_identity() -> None:
    raw = Delivery("registry.inbound.v1", 2, 17, b"k", b"{}", ())
    first, second = decode(raw, ACCEPTED, frozenset()), decode(raw, ACCEPTED, frozenset())
    assert isinstance(first, DeadLetter) and first.code == "malformed_envelope"
    assert first.identity == second.identity == raw.fallback_identity()


def test_a_known_type_this_consumer_skips_decodes_to_nothing() -> None:
    record = record_of(REGISTRY_INBOUND, "hh-1", household())
    assert decode(delivery_of(record), {}, frozenset({HouseholdRegistered.TYPE})) is None


def test_an_oversized_value_is_refused_before_parsing() -> None:
    result = decode(with_value(b"x" * 1_000_001), ACCEPTED, frozenset())
    assert isinstance(result, DeadLetter)
    assert result.code == "oversized"


def test_a_type_this_consumer_skips_is_skipped_unread_even_with_a_broken_envelope() -> None:
    broken = tuple((name, raw) for name, raw in delivery_of(record_of(REGISTRY_INBOUND, "hh-1", household())).headers
                   if name != "ce_id")
    skipped = Delivery(REGISTRY_INBOUND.name, 0, 0, b"hh-1", b"{", broken)
    others = {name: cls for name, cls in ACCEPTED.items() if name != HouseholdRegistered.TYPE}
    assert decode(skipped, others, frozenset({HouseholdRegistered.TYPE})) is None
    letter = decode(skipped, ACCEPTED, frozenset())
    assert isinstance(letter, DeadLetter) and letter.code == "malformed_envelope"
