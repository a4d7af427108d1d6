"""Money coming in: allocations from union funds and donations with the donor's intent."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Event, Fen, OrgCode
from contracts.topics import FUNDS


class FundSource(StrEnum):
    PROVINCIAL = "provincial"  # 省总金秋助学经费
    CENTRAL = "central"  # 央财帮扶资金
    DONATION = "donation"  # 社会捐赠
    LOCAL = "local"  # 本级工会经费


class FundAllocated(Event):
    NAME = "fund.allocated"
    TOPIC = FUNDS
    KEY_FIELD = "allocation_id"
    ACTING_ORG_FIELD = "from_org"

    allocation_id: str
    fund_source: FundSource
    from_org: OrgCode
    to_org: OrgCode
    amount_fen: Fen = Field(gt=0)
    campaign_year: int


class DonorIntent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    org_codes: tuple[str, ...] = Field(default=(), description="Only students filed by these unions")
    stages: tuple[str, ...] = Field(default=(), description="Only these school stages")
    per_student_cap_fen: Fen | None = None


class DonationReceived(Event):
    NAME = "donation.received"
    TOPIC = FUNDS
    KEY_FIELD = "donation_id"
    ACTING_ORG_FIELD = "org_code"

    donation_id: str
    donor: str
    org_code: OrgCode
    amount_fen: Fen = Field(gt=0)
    intent: DonorIntent = DonorIntent()
