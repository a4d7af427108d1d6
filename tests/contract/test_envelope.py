"""Our messages are CloudEvents that the official SDK reads, and every event round-trips."""

import re

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat

from contracts.envelope import Envelope, kafka_headers
from contracts.registry import EVENTS, UnknownEventType, decode
from tests.factories import application


def test_the_cloudevents_sdk_reads_a_structured_message():
    event = application()
    envelope = event.to_envelope(source="/jinqiu/intake", orgcode="341602", correlationid="c-1")
    message = KafkaMessage(headers=dict(kafka_headers()), key=event.key.encode(), value=envelope.to_bytes())
    parsed = from_kafka(message, JSONFormat())
    assert parsed.get_type() == "cn.jinqiu.application.submitted.v1"
    assert parsed.get_id() == envelope.id
    assert parsed.get_extension("correlationid") == "c-1"
    assert parsed.get_extension("orgcode") == "341602"
    assert parsed.get_data()["application_id"] == event.application_id


def test_an_envelope_round_trips_to_the_same_event():
    event = application()
    assert decode(Envelope.from_bytes(event.to_envelope(source="/t").to_bytes())) == event


def test_event_types_are_unique_and_versioned():
    names = [e.type_name() for e in EVENTS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"cn\.jinqiu\.[a-z_.]+\.v\d+", n) for n in names)


def test_unknown_types_and_future_versions_are_refused():
    with pytest.raises(UnknownEventType):
        decode(Envelope(source="/t", type="cn.jinqiu.nonsense.v1", data={}))
    with pytest.raises(UnknownEventType):
        decode(Envelope(source="/t", type="cn.jinqiu.application.submitted.v9", data={}))


def test_events_are_frozen_and_refuse_extra_fields():
    from pydantic import ValidationError

    event = application()
    with pytest.raises(ValidationError):
        event.application_id = "changed"
    with pytest.raises(ValidationError):
        type(event).model_validate({**event.model_dump(), "surprise": 1})
