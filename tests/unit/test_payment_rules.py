"""The payment's whole projection after every kind of event, its refusals, and the edges of fund
choice: exact balances, missing accounts, the donor's cap, several sources."""

import pytest

from contracts.applications import ApplicationVerified, GrantRevoked, SchoolStage
from contracts.employment import EmploymentProgressRecorded, EmploymentStage, GraduateRegistered
from contracts.ledger import BankCardCorrected, PaymentFailed, PaymentRequested, PaymentSettled
from services.disbursement.domain import (
    DonationIntent,
    GrantInstructed,
    Payment,
    allocation_debit_account,
    allot,
    candidate_funds,
)
from services.employment.domain import Graduate
from services.shared.errors import Refused

APPROVAL = ApplicationVerified(application_id="a1", org_code="341602", amount_fen=200_000, fund_sources=("central",),
                               stage=SchoolStage.PRIMARY, rule_id="r", policy_version="p", bank_card="card-1",
                               priority=1)
SENT = GrantInstructed(application_id="a1", transfer_id="t1", fund_account="fund:central:341602", amount_fen=200_000)
REVOKED = GrantRevoked(application_id="a1", org_code="341602", complaint_id="c", reasons=("x",),
                       decided_by_org="341600", decided_by_user="c")


def row(**changes) -> dict:
    base = {"application_id": "a1", "org_code": "341602", "stage": "primary", "amount_fen": 200_000,
            "fund_sources": ["central"], "bank_card": "card-1", "priority": 1, "status": "awaiting_funds",
            "reason": "insufficient_funds", "grant_transfer_id": None, "fund_account": None,
            "revoke_pending": False, "version": 1}
    return {**base, **changes}


def fold(*events) -> Payment:
    return Payment.fold([APPROVAL, *events])


def test_the_projection_after_each_event():
    sent = {"reason": None, "grant_transfer_id": "t1", "fund_account": "fund:central:341602"}
    request = PaymentRequested(application_id="a1", transfer_id="t1", amount_fen=200_000, bank_card="card-1")
    settled = PaymentSettled(application_id="a1", transfer_id="t1", bank_reference="B")
    failed = PaymentFailed(application_id="a1", transfer_id="t1", reason="account_closed")
    corrected = BankCardCorrected(application_id="a1", org_code="341602", bank_card="card-2", corrected_by_user="u")
    assert fold().projection() == row()
    assert fold(SENT).projection() == row(**sent, status="instructed", version=2)
    assert fold(SENT, request).projection() == row(**sent, status="instructed", version=3)
    assert fold(SENT, settled).projection() == row(**sent, status="settled", version=3)
    assert fold(SENT, failed).projection() == row(**{**sent, "reason": "account_closed"}, status="failed", version=3)
    assert fold(SENT, failed, corrected).projection() == row(
        **{**sent, "reason": "insufficient_funds"}, status="awaiting_funds", bank_card="card-2", version=4)
    assert fold(SENT, REVOKED).projection() == row(**sent, status="instructed", revoke_pending=True, version=3)
    assert fold(SENT, REVOKED, settled).projection() == row(**sent, status="revoked", version=4)
    assert fold(SENT, REVOKED, failed).projection() == row(**{**sent, "reason": "account_closed"}, status="revoked",
                                                           version=4)
    assert fold(SENT, settled, REVOKED).projection() == row(**sent, status="revoked", version=4)
    assert fold(REVOKED).projection() == row(status="revoked", version=2)


def test_bank_answers_and_corrections_are_refused_out_of_turn():
    for payment, transfer in [(fold(), "t1"), (fold(SENT), "t2"), (fold(SENT, PaymentSettled(
            application_id="a1", transfer_id="t1", bank_reference="B")), "t1")]:
        with pytest.raises(Refused) as refused:
            payment.answered(transfer)
        assert (refused.value.code, refused.value.message) == ("unexpected_bank_result", f"a1/{transfer}没有待银行回复的付款")
    fold(SENT).answered("t1")
    for payment in (fold(), fold(SENT)):
        with pytest.raises(Refused) as refused:
            payment.correctable()
        assert (refused.value.code, refused.value.message) == ("wrong_state", "申请a1没有被银行退回的付款，无需更正银行卡")
    fold(SENT, PaymentFailed(application_id="a1", transfer_id="t1", reason="x")).correctable()


def test_fund_choice_at_its_edges():
    assert allot([(["f1", "f2"], 200_000)], {"f1": 199_999, "f2": 200_000}) == (["f2"], set())  # exactly enough
    assert allot([(["opened", "f2"], 1)], {"opened": 0, "f2": 1}) == (["f2"], set())  # opened, never credited
    assert allot([(["opened"], 1)], {"opened": 0}) == ([None], set())
    assert allot([([], 1)], {}) == ([None], set())  # no source allowed: it waits
    capped = DonationIntent("fund:donation:d", (), (), 200_000)
    assert capped.allows("341602", "primary", 200_000) and not capped.allows("341602", "primary", 200_001)
    assert candidate_funds(["central", "provincial"], "341602", "primary", 1, []) == [
        "fund:central:341602", "fund:central:341600", "fund:provincial:341602", "fund:provincial:341600"]


def test_allocation_refusals_name_their_code_and_reason():
    for args, code, message in [(("donation", "340000", "341602"), "donation_not_allocatable",
                                 "社会捐赠按捐赠人意向使用，不能作为拨款下拨"),
                                (("central", "341602", "341602"), "budget_not_held",
                                 "341602不掌握central预算，只能下拨已到账的资金")]:
        with pytest.raises(Refused) as refused:
            allocation_debit_account(*args)
        assert (refused.value.code, refused.value.message) == (code, message)


def test_a_graduate_row_is_exactly_the_fold():
    registered = GraduateRegistered(graduate_id="g", application_id="a", origin_org="341602", graduation_year=2022)
    progress = EmploymentProgressRecorded(graduate_id="g", org_code="341602", stage=EmploymentStage.CONTRACT,
                                          recorded_on="2023-09-01", employer="某厂")
    assert Graduate.fold([registered, progress]).projection() == {
        "graduate_id": "g", "application_id": "a", "origin_org": "341602", "graduation_year": 2022,
        "status": "contract", "employer": "某厂", "program": None, "profile": {}, "destination_org": None,
        "handoff": None, "recommendations": 0, "supports": [], "subsidies": {},
        "history": [{"event": "employment_progress.recorded", "stage": "contract", "on": "2023-09-01",
                     "by": "341602", "employer": "某厂"}]}
    assert Graduate.fold([registered]).version == 1 and Graduate.fold([registered, progress]).version == 2
