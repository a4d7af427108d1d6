"""The ledger as published facts, and the bank's answers about card payments."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.base import Event, Fen, OrgCode
from contracts.topics import LEDGER, PAYMENTS


class TransferKind(StrEnum):
    ALLOCATION = "allocation"
    DONATION = "donation"
    GRANT = "grant"
    SETTLEMENT = "settlement"
    REVERSAL = "reversal"
    REVOCATION = "revocation"  # a settled grant withdrawn (upheld complaint): now owed back, clawback:<application>
    REPAYMENT = "repayment"  # money owed back, repaid: from clawback:<application> into the fund that paid the grant
    SUBSIDY = "subsidy"  # 阳光就业 subsidy from a central assistance fund to recipient:<SUB-id> (paid like a grant)


class LedgerTransferPosted(Event):
    """One ledger entry, exactly the `data` of a `ledger.jsonl` line (DESIGN §4)."""

    NAME = "ledger.transfer_posted"
    TOPIC = LEDGER
    KEY_FIELD = "transfer_id"

    sequence: int = Field(ge=1)
    transfer_id: str
    debit_account: str
    credit_account: str
    amount_fen: Fen = Field(gt=0)
    application_id: str | None = Field(description="The application the money is for; for an employment subsidy, "
                                      "the subsidy's id (SUB-…)")
    kind: TransferKind
    reverses: str | None
    prev_hash: str
    recorded_at: str | None = Field(default=None, description="When it was posted, as the event's `time`; "
                                    "inside the hash, so the time cannot be edited unnoticed")
    hash: str


class PaymentRequested(Event):
    """Disbursement asks the bank to pay a grant onto the student's card (or a subsidy onto its
    payee's card: `application_id` is then the subsidy's id, SUB-…)."""

    NAME = "payment.requested"
    TOPIC = PAYMENTS
    KEY_FIELD = "application_id"

    application_id: str
    transfer_id: str
    amount_fen: Fen = Field(gt=0)
    bank_card: str


class BankCardCorrected(Event):
    """Staff correct the card of a payment the bank refused, so the grant can be issued again."""

    NAME = "bank_card.corrected"
    TOPIC = PAYMENTS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "org_code"

    application_id: str
    org_code: OrgCode
    bank_card: str
    corrected_by_user: str


class GrantRepaid(Event):
    """Money a recipient owed back after their settled grant was revoked, repaid (in part or in
    full); the union that recorded the complaint's outcome records it."""

    NAME = "grant.repaid"
    TOPIC = PAYMENTS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "org_code"

    repayment_id: str
    application_id: str
    org_code: OrgCode
    amount_fen: Fen = Field(gt=0)
    bank_reference: str = Field(min_length=1, max_length=100)
    recorded_by_user: str


class PaymentSettled(Event):
    NAME = "payment.settled"
    TOPIC = PAYMENTS
    KEY_FIELD = "application_id"

    application_id: str
    transfer_id: str
    bank_reference: str


class PaymentFailed(Event):
    NAME = "payment.failed"
    TOPIC = PAYMENTS
    KEY_FIELD = "application_id"

    application_id: str
    transfer_id: str
    reason: str
