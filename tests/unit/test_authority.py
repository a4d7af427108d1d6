"""Who may say what, in memory: signatures cover every attribute, each type has its producers,
a union signs only for itself, and a service will not start without its keys."""

import datetime as dt
import json

import pytest

from contracts.applications import ApplicationVerified, SchoolStage
from contracts.funds import FundAllocated, FundSource
from contracts.reviews import ClockTicked
from contracts.signing import sign, verify
from services.shared.authority import Authority, MisconfiguredAuthority
from services.shared.errors import Refused
from services.shared.orgs import load_tree
from services.shared.settings import Settings

KEYS = {"verification": "k-v", "scheduler": "k-s", "intake": "k-i", "341602": "k-341602", "341600": "k-341600"}
AUTHORITY = Authority(load_tree(), KEYS)

DECISION = ApplicationVerified(application_id="a-1", org_code="341602", amount_fen=200_000, fund_sources=("central",),
                               stage=SchoolStage.PRIMARY, rule_id="r", policy_version="p@1", bank_card="6228480000000000017")
ALLOCATION = FundAllocated(allocation_id="al-1", fund_source=FundSource.LOCAL, from_org="341600", to_org="341602",
                           amount_fen=100, campaign_year=2023)


def signed(event, signer, orgcode=None, key=None):
    return sign(event.to_envelope(source=f"/x/{signer}", orgcode=orgcode), signer, key or KEYS[signer])


def refusal(envelope, event) -> str | None:
    try:
        AUTHORITY.check_event(envelope, event)
    except Refused as refused:
        return refused.code
    return None


def test_a_signature_covers_the_data_the_time_and_the_attribution():
    envelope = signed(ALLOCATION, "341600", "341600")
    assert verify(envelope, KEYS["341600"])
    changed_data = envelope.model_copy(update={"data": {**envelope.data, "amount_fen": 10_000_000}})
    changed_time = envelope.model_copy(update={"time": envelope.time + dt.timedelta(days=1)})
    changed_signer = envelope.model_copy(update={"signer": "341602"})
    changed_org = envelope.model_copy(update={"orgcode": "341602"})
    signature_removed = envelope.model_copy(update={"signature": None})
    for tampered in (changed_data, changed_time, changed_signer, changed_org, signature_removed):
        assert not verify(tampered, KEYS["341600"])


def test_each_type_is_accepted_only_from_its_producers():
    assert refusal(signed(DECISION, "verification"), DECISION) is None
    assert refusal(signed(DECISION, "intake"), DECISION) == "producer_not_allowed"
    assert refusal(signed(DECISION, "341602", "341602"), DECISION) == "producer_not_allowed"
    assert refusal(DECISION.to_envelope(source="/x"), DECISION) == "signature_invalid"
    assert refusal(signed(DECISION, "verification", key="guess"), DECISION) == "signature_invalid"
    tick = ClockTicked(today=dt.date(2023, 8, 1))
    assert refusal(signed(tick, "scheduler"), tick) is None
    assert refusal(signed(tick, "341600", "341600"), tick) == "producer_not_allowed"


def test_a_union_signs_only_for_itself_and_within_its_subtree():
    assert refusal(signed(ALLOCATION, "341600", "341600"), ALLOCATION) is None
    assert refusal(signed(ALLOCATION, "341600", "340000"), ALLOCATION) == "signature_invalid"
    assert refusal(signed(ALLOCATION, "341602", "341602"), ALLOCATION) == "org_out_of_scope"  # acts for its city


def test_a_service_does_not_start_without_its_keys_or_in_production_without_tokens():
    with pytest.raises(MisconfiguredAuthority):
        Authority.from_settings(Settings(signing_keys=None), identity="verification")
    with pytest.raises(MisconfiguredAuthority):
        Authority.from_settings(Settings(signing_keys=json.dumps({"intake": "k"})), identity="verification")
    with pytest.raises(MisconfiguredAuthority):
        Authority.from_settings(Settings(signing_keys=json.dumps(KEYS), production=True), identity="verification")
    production = Settings(signing_keys=json.dumps(KEYS), production=True, api_tokens=json.dumps(
        {"t": {"org": "341602", "user": "u"}}), kafka_credentials=json.dumps({"verification": "pw"}))
    assert Authority.from_settings(production, identity="verification").identity == "verification"
