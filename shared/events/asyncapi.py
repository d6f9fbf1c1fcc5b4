"""The AsyncAPI 3.0 document of every topic and event, generated from the catalogue.

`python -m shared.events.asyncapi` prints it; docs/asyncapi.json is the committed copy (a contract
test keeps it equal) and the registry serves it at /asyncapi.json for publishers.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic.json_schema import models_json_schema

from .catalogue import GOVERNMENT_SYSTEMS, SERVICES, TOPICS

CLOUDEVENTS_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0, Kafka binary content mode: every attribute is a ce_ header.",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "description": "Unique per ce_source; a repeated id is a no-op."},
        "ce_source": {"type": "string", "description": "The publishing system (authorised for a set of areas)."},
        "ce_type": {"type": "string", "description": "vn.hoctap.<producer>.<event>.v<N>"},
        "ce_time": {"type": "string", "format": "date-time", "description": "When the fact was recorded at the source."},
        "ce_subject": {"type": "string", "description": "The entity the event is about (also the record key)."},
        "ce_dataschema": {"type": "string"},
        "ce_correlationid": {"type": "string"},
        "content-type": {"type": "string", "const": "application/json"},
    },
}


def document(version: str = "1") -> dict[str, Any]:
    classes = sorted({cls for topic in TOPICS for cls in topic.event_types}, key=lambda c: c.TYPE)
    _, schemas = models_json_schema(
        [(cls, "validation") for cls in classes], ref_template="#/components/schemas/{model}"
    )
    components_schemas = schemas.get("$defs", {})
    messages: dict[str, Any] = {}
    for cls in classes:
        messages[cls.__name__] = {
            "name": cls.TYPE,
            "title": cls.__name__,
            "summary": ((cls.__doc__ or "").strip().splitlines() or [cls.__name__])[0],
            "contentType": "application/json",
            "headers": CLOUDEVENTS_HEADERS,
            "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
        }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in TOPICS:
        channel_messages = {cls.__name__: {"$ref": f"#/components/messages/{cls.__name__}"} for cls in topic.event_types}
        channels[topic.name] = {
            "address": topic.name,
            "description": f"{topic.description} Key: {topic.key}. Partitions: {topic.partitions}.",
            "messages": channel_messages,
            "bindings": {"kafka": {"topic": topic.name, "partitions": topic.partitions, "bindingVersion": "0.5.0"}},
        }
        parties = [(topic.producer, "send")] + [(c, "receive") for c in topic.consumers]
        for party, action in parties:
            if party not in (*SERVICES, GOVERNMENT_SYSTEMS):
                continue
            name = f"{party.replace(' ', '-')}.{action}.{topic.name}"
            operations[name] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{topic.name}"},
                "summary": f"{party} {'publishes to' if action == 'send' else 'consumes'} {topic.name}",
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "hoctap events",
            "version": version,
            "description": "Every topic and event of hoctap. Government systems publish to registry.inbound.v1 "
            "and read their refusals on registry.inbound-rejected.v1.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components_schemas},
    }


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
