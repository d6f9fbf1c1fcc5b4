"""The metrics service reads decisions through `TitleDecidedCount.read_json`, a msgspec reader that
must accept nothing the pydantic model refuses and read every field as the model does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.events.recognition import TitleDecidedCount, TitleDecidedTally
from tests.unit.metrics.factories import family_decision

pytestmark = pytest.mark.contract

COUNTED = tuple(TitleDecidedTally.__struct_fields__)
DECISION: dict[str, Any] = json.loads(family_decision(1, 2024, True).model_dump_json())

_odd_text = st.text(alphabet=st.sampled_from(["a", "Z", "0", "-", ".", ":", "_", " ", "\n", "é", "\u200b", "\x00"]), max_size=70)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["2024", "true", "false", "1", "0", "2016-01-01", "2016-1-1", "2016-01-01T00:00:00",
                     "learning_family", "LEARNING_FAMILY", "household", "hh-1", ""]),
    _odd_text,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _answer(reader: Callable[[bytes], Any], value: bytes) -> tuple[str, Any]:
    """What a reader makes of a value: refused, or the counted fields it read."""
    try:
        data = reader(value)
    except ValidationError:
        return ("refused", None)
    return ("read", tuple(getattr(data, name) for name in COUNTED))


def _outcome(value: bytes) -> tuple[str, Any]:
    return _answer(TitleDecidedCount.model_validate_json, value)


def _read(value: bytes) -> tuple[str, Any]:
    return _answer(TitleDecidedCount.read_json, value)


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([*COUNTED, "criteria", "facts", "unknown"]), _values, max_size=4),
       st.sets(st.sampled_from(COUNTED), max_size=2), st.booleans())
def test_the_fast_reader_agrees_with_the_model_on_every_changed_or_missing_field(
    changed: dict[str, Any], dropped: set[str], ascii_only: bool
) -> None:
    payload = {k: v for k, v in {**DECISION, **changed}.items() if k not in dropped}
    value = json.dumps(payload, ensure_ascii=ascii_only).encode()
    assert _read(value) == _outcome(value)


@settings(max_examples=1000)
@given(st.binary(max_size=40), st.integers(min_value=0, max_value=400))
def test_the_fast_reader_agrees_with_the_model_on_damaged_bytes(noise: bytes, at: int) -> None:
    whole = json.dumps(DECISION).encode()
    value = whole[:at] + noise + whole[at:]
    assert _read(value) == _outcome(value)


@pytest.mark.parametrize(
    "value",
    [
        json.dumps({**DECISION, "entity_id": "hh-1\n"}).encode(),  # $ before a final newline
        json.dumps({**DECISION, "rule_version": "\ud800"}).encode(),  # a lone surrogate
        json.dumps(DECISION).encode()[:-1] + b', "year": 2025}',  # a repeated key: the last counts
        json.dumps({**DECISION, "criteria": [{"deep": [[[[[[1]]]]]]}]}).encode(),
        json.dumps(DECISION).encode() + b" x",  # trailing text
        b'{"facts": NaN, ' + json.dumps(DECISION).encode()[1:],  # a literal only pydantic reads
    ],
)
def test_the_fast_reader_agrees_with_the_model_on_known_corner_cases(value: bytes) -> None:
    assert _read(value) == _outcome(value)


def test_a_valid_decision_is_read_by_msgspec_and_one_in_lax_form_by_the_model() -> None:
    exact = json.dumps(DECISION).encode()
    lax = json.dumps({**DECISION, "year": "2024"}).encode()
    assert isinstance(TitleDecidedCount.read_json(exact), TitleDecidedTally)
    assert isinstance(TitleDecidedCount.read_json(lax), TitleDecidedCount)
    assert TitleDecidedCount.read_json(lax).year == 2024
