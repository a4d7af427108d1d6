"""The AsyncAPI 3.0 document of jinqiu's topics and events, generated from the contracts."""

from __future__ import annotations

from typing import Any

from contracts.envelope import CONTENT_TYPE, Envelope
from contracts.registry import EVENTS
from contracts.topics import ALL_TOPICS


def _message_name(event_type: str) -> str:
    return event_type.removeprefix("cn.jinqiu.").replace(".", "_")


def asyncapi_document() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Envelope": Envelope.model_json_schema()}
    channels: dict[str, Any] = {t.name: {"address": t.name, "description": f"{t.partitions} partitions; key: {t.key_doc}",
                                         "messages": {}} for t in ALL_TOPICS}
    for event in EVENTS:
        name = _message_name(event.type_name())
        schemas[event.__name__] = event.model_json_schema(ref_template="#/components/schemas/{model}")
        messages[name] = {
            "name": event.type_name(),
            "title": event.__name__,
            "summary": (event.__doc__ or "").strip().splitlines()[0] if event.__doc__ else event.__name__,
            "contentType": CONTENT_TYPE,
            "payload": {"allOf": [{"$ref": "#/components/schemas/Envelope"},
                                  {"properties": {"type": {"const": event.type_name()},
                                                  "data": {"$ref": f"#/components/schemas/{event.__name__}"}}}]},
        }
        channels[event.TOPIC.name]["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for schema in list(schemas.values()):
        schemas.update(schema.pop("$defs", {}))
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "jinqiu events", "version": "1",
                 "description": "金秋助学 / 阳光就业: CloudEvents 1.0 in structured mode on Kafka"},
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }
