"""Which fund pays, the transfers each money movement makes, and the payment of a grant as a
fold of its stream. Pure: no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from contracts.applications import ApplicationVerified, GrantRevoked
from contracts.base import Event
from contracts.employment import SubsidyApproved
from contracts.ledger import BankCardCorrected, PaymentFailed, PaymentSettled, TransferKind
from contracts.topics import PAYMENTS
from services.shared.errors import Refused

INSUFFICIENT_FUNDS = "insufficient_funds"
SETTLED_ACCOUNT = "bank:settled"


@dataclass(frozen=True)
class Transfer:
    debit_account: str
    credit_account: str
    amount_fen: int
    kind: TransferKind
    application_id: str | None = None
    reverses: str | None = None
    transfer_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass(frozen=True)
class DonationIntent:
    account: str
    org_codes: tuple[str, ...]
    stages: tuple[str, ...]
    per_student_cap_fen: int | None

    def allows(self, org_code: str, stage: str, amount_fen: int) -> bool:
        return (
            (not self.org_codes or org_code in self.org_codes)
            and (not self.stages or stage in self.stages)
            and (self.per_student_cap_fen is None or amount_fen <= self.per_student_cap_fen)
        )


def fund_account(source: str, org_code: str) -> str:
    return f"fund:{source}:{org_code}"


def recipient_account(application_id: str) -> str:
    return f"recipient:{application_id}"


def clawback_account(application_id: str) -> str:
    """What a recipient owes back after their settled grant was revoked."""
    return f"clawback:{application_id}"


def is_province(org_code: str) -> bool:
    return org_code.endswith("0000")


def city_of(org_code: str) -> str:
    return org_code[:4] + "00"


def candidate_funds(
    fund_sources: Iterable[str], org_code: str, stage: str, amount_fen: int,
    donations: Iterable[DonationIntent],
) -> list[str]:
    """Fund accounts that may pay this grant, in order: the filing union's own, then its city's;
    donations only where the donor's intent allows this student."""
    candidates: list[str] = []
    for source in fund_sources:
        if source == "donation":
            candidates += [d.account for d in donations if d.allows(org_code, stage, amount_fen)]
        else:
            candidates += [fund_account(source, org_code), fund_account(source, city_of(org_code))]
    return list(dict.fromkeys(candidates))


def allot(wants: Sequence[tuple[Sequence[str], int]], known: Mapping[str, int]) -> tuple[list[str | None], set[str]]:
    """Each payment's fund, in order (candidates, amount): the first candidate that can afford
    it, as far as balances are `known`. A payment that reaches a candidate not known yet stays
    unpaid here and that candidate is returned to be read (under its lock) before asking again:
    funds are locked only as far down the order as payments reach (a county's own fund, seldom
    its city's), so instances paying different counties do not wait for each other."""
    left, choices, unknown = dict(known), [], set()
    for candidates, amount in wants:
        choice = None
        for candidate in candidates:
            if candidate not in left:
                unknown.add(candidate)
                break
            if left[candidate] >= amount:
                choice = candidate
                left[candidate] -= amount
                break
        choices.append(choice)
    return choices, unknown


BUDGET_HOLDERS = {"provincial": is_province, "central": is_province, "local": lambda org: True}
"""Who may bring money of each source into the ledger: the province holds the provincial campaign
budget and receives the central allocation; every union holds its own local funds. Donations
come in only as `donation.received`, with their donor's intent."""


def allocation_debit_account(source: str, from_org: str, to_org: str) -> str:
    """Money enters from a budget only where its holder brings it in (to itself, or the province
    to any union below it); otherwise a union passes on money from its own fund, which it must have."""
    if source == "donation":
        raise Refused("donation_not_allocatable", "社会捐赠按捐赠人意向使用，不能作为拨款下拨")
    if is_province(from_org) or from_org == to_org:
        if not BUDGET_HOLDERS[source](from_org):
            raise Refused("budget_not_held", f"{from_org}不掌握{source}预算，只能下拨已到账的资金")
        return f"budget:{source}:{from_org}"
    return fund_account(source, from_org)


class GrantInstructed(Event):
    """A grant posted from `fund_account` and sent to the bank. Kept in the payment's own stream
    and never published (the bank sees `payment.requested`)."""

    NAME = "grant.instructed"
    TOPIC = PAYMENTS  # nominal: disbursement stores it, never publishes it
    KEY_FIELD = "application_id"

    application_id: str
    transfer_id: str
    fund_account: str
    amount_fen: int


@dataclass(frozen=True)
class Payment:
    """The payment of one approved grant (or employment subsidy) as a fold of its stream: the
    approval, each grant instructed, the bank's answers, card corrections and a revocation."""

    approval: ApplicationVerified | SubsidyApproved
    version: int = 1
    status: str = "awaiting_funds"
    reason: str | None = INSUFFICIENT_FUNDS
    bank_card: str = ""
    grant_transfer_id: str | None = None
    fund_account: str | None = None
    revoke_pending: bool = False

    @classmethod
    def fold(cls, events: Iterable[Event]) -> Payment:
        stream = iter(events)
        approval = next(stream)
        payment = cls(approval=approval, bank_card=approval.bank_card)
        for event in stream:
            payment = payment.apply(event)
        return payment

    @property
    def application_id(self) -> str:
        """What the bank and the ledger call this money: the application, or the subsidy's id."""
        return self.approval.payment_key

    @property
    def kind(self) -> TransferKind:
        return TransferKind.SUBSIDY if isinstance(self.approval, SubsidyApproved) else TransferKind.GRANT

    def apply(self, event: Event) -> Payment:
        moved = replace(self, version=self.version + 1)
        match event:
            case GrantInstructed():
                return replace(moved, status="instructed", reason=None, grant_transfer_id=event.transfer_id,
                               fund_account=event.fund_account)
            case PaymentSettled():
                return replace(moved, status="revoked" if self.revoke_pending else "settled", reason=None,
                               revoke_pending=False)
            case PaymentFailed():
                return replace(moved, status="revoked" if self.revoke_pending else "failed", reason=event.reason,
                               revoke_pending=False)
            case BankCardCorrected():  # to be issued again, when a fund can pay it
                return replace(moved, bank_card=event.bank_card, status="awaiting_funds", reason=INSUFFICIENT_FUNDS)
            case GrantRevoked() if self.status == "instructed":
                return replace(moved, revoke_pending=True)
            case GrantRevoked():
                return replace(moved, status="revoked")
        return moved

    def answered(self, transfer_id: str) -> None:
        """The bank answers only a grant it was sent and has not answered yet."""
        if self.status != "instructed" or self.grant_transfer_id != transfer_id:
            raise Refused("unexpected_bank_result", f"{self.application_id}/{transfer_id}没有待银行回复的付款")

    def correctable(self) -> None:
        if self.status != "failed":
            raise Refused("wrong_state", f"申请{self.application_id}没有被银行退回的付款，无需更正银行卡")

    def projection(self) -> dict:
        a = self.approval
        return {"application_id": self.application_id, "org_code": a.org_code, "stage": a.stage.value,
                "amount_fen": a.amount_fen, "fund_sources": list(a.fund_sources), "bank_card": self.bank_card,
                "priority": a.priority, "status": self.status, "reason": self.reason,
                "grant_transfer_id": self.grant_transfer_id, "fund_account": self.fund_account,
                "revoke_pending": self.revoke_pending, "version": self.version}
