"""Our messages are CloudEvents that the official SDK reads, and every event round-trips."""

import json
import re

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka
from cloudevents.core.formats.json import JSONFormat
from hypothesis import given, settings
from hypothesis import strategies as st

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


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(time=st.datetimes(timezones=st.none() | st.timezones()), data=st.dictionaries(st.text(max_size=6), _json_values),
       signer=st.none() | st.text(max_size=6), subject=st.none() | st.text(max_size=6))
def test_an_envelopes_attributes_are_its_json_dump_and_its_signature_covers_them_all(time, data, signer, subject):
    """`Envelope.attributes` (what is signed, checked and written) skips pydantic's serializer:
    it must give what `model_dump(mode="json")` gives, for any time zone and any JSON data, and
    the signature must be the HMAC of those canonical attributes, as events already signed were."""
    import hashlib
    import hmac

    from contracts.ledger_format import canonical_json
    from contracts.signing import sign, verify

    envelope = Envelope(source="/jinqiu/t", type="cn.jinqiu.test.v1", time=time, subject=subject, data=data,
                        signer=signer)
    assert envelope.attributes() == envelope.model_dump(mode="json")
    signed = sign(envelope, "intake", "key")
    unsigned = signed.model_dump(mode="json", exclude={"signature"})
    assert signed.signature == hmac.new(b"key", canonical_json(unsigned).encode(), hashlib.sha256).hexdigest()
    assert verify(signed, "key") and not verify(signed, "other")
    assert not verify(signed.model_copy(update={"signer": "verification"}), "key")
    assert json.loads(signed.to_bytes()) == {k: v for k, v in signed.model_dump(mode="json").items()
                                             if v is not None or k == "data"}
