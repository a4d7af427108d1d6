"""The AsyncAPI document names every topic and every event, with resolvable references."""

import json

from contracts.asyncapi import asyncapi_document
from contracts.registry import EVENTS
from contracts.topics import ALL_TOPICS


def test_every_event_is_documented_on_its_topic():
    doc = asyncapi_document()
    assert set(doc["channels"]) == {t.name for t in ALL_TOPICS}
    documented = {m["name"] for m in doc["components"]["messages"].values()}
    assert documented == {e.type_name() for e in EVENTS}
    for event in EVENTS:
        assert any(ref["$ref"].endswith(event.type_name().removeprefix("cn.jinqiu.").replace(".", "_"))
                   for ref in doc["channels"][event.TOPIC.name]["messages"].values())


def test_every_reference_resolves():
    doc = asyncapi_document()
    text = json.dumps(doc)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}
    for ref in refs:
        node = doc
        for key in ref.split("/"):
            node = node[key]


def test_the_committed_document_matches_the_contracts():
    """A contract change must be deliberate: regenerate with `jinqiu asyncapi --out docs/asyncapi.json`."""
    from pathlib import Path

    committed = json.loads((Path(__file__).parents[2] / "docs" / "asyncapi.json").read_text(encoding="utf-8"))
    assert committed == asyncapi_document()
