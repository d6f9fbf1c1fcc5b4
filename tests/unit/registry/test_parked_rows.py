"""A parked fact's row keeps no national ID from the record around it: key, header values, names."""

from datetime import UTC, datetime

from services.registry.adapters.privacy import redact
from services.registry.domain.applier import Fact, Result
from services.registry.handlers.parking import park_row
from services.registry.handlers.processing import Submission
from shared.consumer import Delivery
from shared.events.inbound import HouseholdRegistered

NUMBER = "079201001234"
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def test_a_parked_row_scrubs_the_number_from_key_header_values_and_header_names() -> None:
    delivery = Delivery(
        "registry.inbound.v1", 0, 7, NUMBER.encode(), b"{}",
        (("ce_id", b"e-1"), ("ce_source", b"/commune/29398"), ("ce_subject", NUMBER.encode()),
         (f"x-owner-{NUMBER}", b"v")),
    )
    fact = Fact(HouseholdRegistered(household_id="hh-1", hamlet_code="29398-01", registered_on="2020-01-01"), NOW)
    submission = Submission(fact, "hh-1", "/commune/29398", "e-1", "commune-29398", None, delivery)
    row = park_row(submission, Result("waiting", waiting_for="hamlet 29398-01"), NOW, redact)

    stored = repr([row["record_key"], row["header_names"], row["header_values"]])
    assert NUMBER not in stored
    assert row["header_names"][:3] == ["ce_id", "ce_source", "ce_subject"]
    assert row["header_values"][:2] == [b"e-1", b"/commune/29398"], "the identity a replay needs, as it came"
