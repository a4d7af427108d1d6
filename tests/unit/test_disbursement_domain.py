"""Fund choice: own fund first, then the city's; donations only where the donor's intent allows."""

import pytest

from services.disbursement.domain import DonationIntent, allocation_debit_account, allot, candidate_funds
from services.shared.errors import Refused

DONATION = DonationIntent("fund:donation:d1", ("341623",), ("senior_secondary",), 200_000)


def test_candidates_follow_source_order_and_donor_intent():
    assert candidate_funds(["central", "donation"], "341623", "senior_secondary", 150_000, [DONATION]) == [
        "fund:central:341623", "fund:central:341600", "fund:donation:d1"]
    assert "fund:donation:d1" not in candidate_funds(["donation"], "341602", "senior_secondary", 150_000, [DONATION])
    assert "fund:donation:d1" not in candidate_funds(["donation"], "341623", "primary", 150_000, [DONATION])
    assert "fund:donation:d1" not in candidate_funds(["donation"], "341623", "senior_secondary", 250_000, [DONATION])


def test_allot_never_picks_a_fund_that_cannot_afford_the_grant():
    balances = {"fund:central:341623": 100_000, "fund:central:341600": 300_000}
    assert allot([(["fund:central:341623", "fund:central:341600"], 200_000)], balances) == (
        ["fund:central:341600"], set())
    assert allot([(["fund:central:341623"], 200_000)], balances) == ([None], set())


def test_allot_reads_funds_only_as_far_down_the_order_as_payments_reach():
    wants = [(["county", "city"], 300), (["county", "city"], 300), (["other", "city"], 100)]
    assert allot(wants, {"county": 1000, "other": 100}) == (["county", "county", "other"], set())  # city never read
    # the county's own fund runs out at the second payment: the city's is needed to decide it
    assert allot(wants, {"county": 500, "other": 100}) == (["county", None, "other"], {"city"})
    assert allot(wants, {"county": 500, "other": 100, "city": 300}) == (["county", "city", "other"], set())
    # earlier payments come first: the third is left waiting once the city's fund is spent
    assert allot([*wants, (["other", "city"], 100)], {"county": 0, "city": 600, "other": 100}) == (
        ["city", "city", "other", None], set())


def test_money_enters_at_the_province_or_a_union_funding_itself():
    assert allocation_debit_account("provincial", "340000", "341600") == "budget:provincial:340000"
    assert allocation_debit_account("local", "341623", "341623") == "budget:local:341623"
    assert allocation_debit_account("provincial", "341600", "341602") == "fund:provincial:341600"


def test_only_a_budget_holder_brings_money_in():
    assert allocation_debit_account("central", "340000", "341602") == "budget:central:340000"
    assert allocation_debit_account("provincial", "340000", "340000") == "budget:provincial:340000"
    assert allocation_debit_account("local", "341622", "341622") == "budget:local:341622"
    assert allocation_debit_account("central", "341600", "341602") == "fund:central:341600"  # passes on what it has
    for source, org in (("central", "341622"), ("provincial", "341600")):
        with pytest.raises(Refused) as refused:
            allocation_debit_account(source, org, org)
        assert refused.value.code == "budget_not_held"
    with pytest.raises(Refused):
        allocation_debit_account("donation", "340000", "341602")


def test_a_payment_folds_from_approval_to_settlement_and_revocation():
    from contracts.applications import ApplicationVerified, GrantRevoked, SchoolStage
    from contracts.ledger import BankCardCorrected, PaymentFailed, PaymentSettled
    from services.disbursement.domain import GrantInstructed, Payment

    approval = ApplicationVerified(application_id="a1", org_code="341602", amount_fen=200_000,
                                   fund_sources=("central",), stage=SchoolStage.PRIMARY, rule_id="r",
                                   policy_version="p", bank_card="6222020200000000001")
    waiting = Payment.fold([approval])
    assert (waiting.status, waiting.version, waiting.bank_card) == ("awaiting_funds", 1, "6222020200000000001")
    sent = waiting.apply(GrantInstructed(application_id="a1", transfer_id="t1", fund_account="fund:central:341602",
                                         amount_fen=200_000))
    assert (sent.status, sent.grant_transfer_id, sent.fund_account) == ("instructed", "t1", "fund:central:341602")
    with pytest.raises(Refused):
        sent.answered("t2")
    sent.answered("t1")
    refused = sent.apply(PaymentFailed(application_id="a1", transfer_id="t1", reason="account_closed"))
    assert (refused.status, refused.reason) == ("failed", "account_closed")
    with pytest.raises(Refused):
        refused.answered("t1")
    corrected = refused.apply(BankCardCorrected(application_id="a1", org_code="341602", bank_card="6222",
                                                corrected_by_user="u"))
    assert (corrected.bank_card, corrected.status) == ("6222", "awaiting_funds")
    revoke = GrantRevoked(application_id="a1", org_code="341602", complaint_id="c", reasons=("x",),
                          decided_by_org="341600", decided_by_user="c")
    pending = sent.apply(revoke)
    assert (pending.status, pending.revoke_pending) == ("instructed", True)
    settled = pending.apply(PaymentSettled(application_id="a1", transfer_id="t1", bank_reference="B"))
    assert (settled.status, settled.revoke_pending) == ("revoked", False)
    assert sent.apply(PaymentSettled(application_id="a1", transfer_id="t1", bank_reference="B")).apply(
        revoke).status == "revoked"
    assert waiting.apply(revoke).status == "revoked"
    assert settled.projection()["version"] == 4 and settled.projection()["status"] == "revoked"
