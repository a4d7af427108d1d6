"""Which fund pays, and the transfers each money movement makes. Pure: no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from contracts.ledger import TransferKind
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


def choose_fund(candidates: Iterable[str], balances: Mapping[str, int], amount_fen: int) -> str | None:
    return next((a for a in candidates if balances.get(a, 0) >= amount_fen), None)


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
