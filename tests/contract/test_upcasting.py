"""Events stored in an older version still read: each stored sample decodes through the registry
to the current model, and the decisions' v1 → v2 upcaster marks their inputs as unknown."""

import json
from pathlib import Path

import pytest

from contracts.applications import ApplicationRejected, ApplicationVerified
from contracts.envelope import Envelope
from contracts.registry import BY_NAME, UPCASTERS, decode

SAMPLES = sorted((Path(__file__).parent / "samples").glob("*.json"))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_every_stored_sample_decodes_to_the_current_version(path):
    envelope = Envelope.from_bytes(path.read_bytes())
    event = decode(envelope)
    assert type(event) is BY_NAME[envelope.event_name] and event.VERSION >= envelope.version
    assert event.model_dump(mode="json").items() >= {k: v for k, v in envelope.data.items()}.items()


def test_a_v1_decision_reads_as_v2_with_unknown_inputs():
    verified = decode(Envelope.from_bytes((Path(__file__).parent / "samples" / "application.verified.v1.json")
                                          .read_bytes()))
    assert isinstance(verified, ApplicationVerified) and verified.inputs is None and verified.amount_fen == 150_000


def test_every_event_type_has_a_stored_v1_sample():
    assert {p.stem for p in SAMPLES} >= {f"{name}.v1" for name in BY_NAME}


def test_every_event_type_above_v1_has_an_upcaster_and_a_stored_sample_for_each_older_version():
    stored = {p.stem for p in SAMPLES}
    for model in BY_NAME.values():
        for version in range(1, model.VERSION):
            assert (model.NAME, version) in UPCASTERS, model.NAME
            assert f"{model.NAME}.v{version}" in stored, model.NAME
    assert {ApplicationVerified.NAME, ApplicationRejected.NAME} <= {n for n, _ in UPCASTERS}


def test_current_decisions_round_trip_with_their_inputs():
    sample = json.loads((Path(__file__).parent / "samples" / "application.rejected.v1.json").read_text())
    upcast = decode(Envelope.model_validate(sample))
    again = decode(upcast.to_envelope(source="/jinqiu/verification"))
    assert again == upcast
