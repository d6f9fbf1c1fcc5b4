"""AreaRecords: an area row is converted once per content, never served stale."""

from collections import namedtuple
from datetime import date

from services.metrics.adapters.sql import AreaRecords
from shared.events.vocabulary import Level

Row = namedtuple(
    "Row",
    "code level name parent_code parent_history province_code valid_from valid_to successor_code current_code version",
)
HISTORY = '[{"code": "842", "valid_from": "2015-01-01", "valid_to": "2025-06-30"}]'


def row(**changes: object) -> Row:
    values = dict(code="29398", level="commune", name="Xã Hòa Lợi", parent_code="842", parent_history=HISTORY,
                  province_code="84", valid_from=date(2015, 1, 1), valid_to=None, successor_code=None,
                  current_code="29398", version=1)
    return Row(**{**values, **changes})


def test_the_same_row_is_converted_once_and_a_changed_row_again() -> None:
    records = AreaRecords()
    first = records.of(row())
    assert records.of(row()) is first
    assert first.level == Level.COMMUNE and first.parent_history[0].code == "842"
    moved = records.of(row(current_code="86001", version=1))  # the crosswalk moved it: same version
    assert moved is not first and moved.current_code == "86001"
    renamed = records.of(row(name="Xã Hòa Lợi mới", version=2))
    assert renamed.name == "Xã Hòa Lợi mới" and renamed.version == 2


def test_a_full_memory_starts_over() -> None:
    records = AreaRecords(limit=2)
    a, b = records.of(row(code="1")), records.of(row(code="2"))
    assert records.of(row(code="1")) is a
    records.of(row(code="3"))  # full: forgets a and b
    assert records.of(row(code="1")) is not a and records.of(row(code="1")).code == "1"
    assert b.code == "2"
