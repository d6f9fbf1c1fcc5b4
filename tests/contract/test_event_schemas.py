"""Each event's JSON Schema is published in shared/events/schemas/ and pinned: changes must be
additive (see README, "Topics").

Regenerate after an intended, additive change: HOCTAP_UPDATE_SNAPSHOTS=1 make contract
"""

import json
import os
from pathlib import Path

import pytest

from shared.events.catalogue import TOPICS

SNAPSHOTS = Path(__file__).resolve().parents[2] / "shared" / "events" / "schemas"
ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"
EVENT_TYPES = sorted({cls for topic in TOPICS for cls in topic.event_types}, key=lambda c: c.TYPE)


def breaking_changes(old: dict, new: dict, where: str = "") -> list[str]:  # type: ignore[type-arg]
    """Removed properties, new required fields, changed types: what would break a consumer or producer."""
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{where}{name} was removed")
        elif old_props[name].get("type") != new_props[name].get("type"):
            problems.append(f"{where}{name} changed type")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name} became required")
    for name, definition in old.get("$defs", {}).items():
        if name in new.get("$defs", {}):
            problems += breaking_changes(definition, new["$defs"][name], f"{name}.")
    return problems


@pytest.mark.parametrize("cls", EVENT_TYPES, ids=lambda c: c.TYPE)
def test_the_schema_matches_its_snapshot(cls) -> None:  # type: ignore[no-untyped-def]
    path = SNAPSHOTS / f"{cls.TYPE}.json"
    schema = cls.model_json_schema()
    if os.environ.get("HOCTAP_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if path.exists():
            assert not breaking_changes(json.loads(path.read_text()), schema), "not an additive change: add a v2 type"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    pinned = json.loads(path.read_text(encoding="utf-8"))
    assert breaking_changes(pinned, schema) == [], "a breaking change needs a new versioned type and topic"
    assert pinned == json.loads(json.dumps(schema, sort_keys=True)), f"schema of {cls.TYPE} changed: regenerate the snapshot"


def test_the_published_asyncapi_document_is_current() -> None:
    from shared.events.asyncapi import render

    if os.environ.get("HOCTAP_UPDATE_SNAPSHOTS") == "1":
        ASYNCAPI.write_text(render(), encoding="utf-8")
    assert ASYNCAPI.read_text(encoding="utf-8") == render(), "regenerate: python -m shared.events.asyncapi > docs/asyncapi.json"


def test_every_inbound_type_is_a_message_of_the_inbound_channel() -> None:
    from shared.events.asyncapi import document
    from shared.events.catalogue import REGISTRY_INBOUND

    channel = document()["channels"][REGISTRY_INBOUND.name]
    assert set(channel["messages"]) == {cls.__name__ for cls in REGISTRY_INBOUND.event_types}


def test_every_type_name_carries_its_version() -> None:
    for cls in EVENT_TYPES:
        assert cls.TYPE.startswith("vn.hoctap.") and cls.TYPE.endswith(f".v{cls.SCHEMA_VERSION}")


def test_an_event_round_trips_through_json() -> None:
    from shared.events.inbound import FamilyEvidenceSubmitted
    from shared.testing import family_evidence

    event = FamilyEvidenceSubmitted(household_id="hh-1", year=2024, evidence=family_evidence())
    assert FamilyEvidenceSubmitted.model_validate_json(event.model_dump_json()) == event


def test_the_breaking_change_detector_notices_a_removed_field() -> None:
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    new = {"properties": {"a": {"type": "string"}, "c": {"type": "integer"}}, "required": ["a", "c"]}
    assert breaking_changes(old, new) == ["b was removed", "c became required"]


def test_the_counting_view_of_a_decision_reads_its_fields_exactly_as_the_decision_does() -> None:
    from shared.events.recognition import TitleDecided, TitleDecidedCount

    whole = TitleDecided.model_json_schema()
    view = TitleDecidedCount.model_json_schema()
    assert TitleDecidedCount.TYPE == TitleDecided.TYPE
    for name, definition in view["properties"].items():
        assert whole["properties"][name] == definition, f"{name} differs from TitleDecided's"
    assert set(view.get("required", [])) <= set(whole["required"])
    assert set(view.get("$defs", {})) <= set(whole.get("$defs", {}))


def test_the_counting_view_refuses_what_counts_and_skips_the_explanation() -> None:
    from pydantic import ValidationError

    from shared.events.recognition import TitleDecidedCount
    from tests.unit.metrics.factories import family_decision

    decision = json.loads(family_decision(1, 2024, True).model_dump_json())
    counted = TitleDecidedCount.model_validate_json(
        json.dumps({**decision, "criteria": "not even a list", "facts": 7})
    )
    assert (counted.entity_id, counted.year, counted.granted) == ("hh-1", 2024, True)
    for wrong in ({"granted": "perhaps"}, {"year": 1850}, {"revision": 0}, {"entity_id": ""}):
        with pytest.raises(ValidationError):
            TitleDecidedCount.model_validate_json(json.dumps({**decision, **wrong}))
