"""What the read API answers, as its OpenAPI document shows it. The routes return these shapes
through `response_model`, so an answer that drifted from its documentation (a column added,
renamed or retyped) fails loudly instead of being published wrong."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicationView(_View):
    application_id: str
    submission_id: str
    org_code: str
    status: str = Field(description="submitted, manual_review, in_notice, approved, rejected, payment_requested, "
                                    "paid, payment_failed, appealed, revoked, … (README: The review, step by step)")
    amount_fen: int | None = Field(description="核定金额（分）, once decided")
    reasons: list[str] = Field(description="the rules' reason codes for the decision")
    history: list[dict[str, Any]] = Field(description="every status and act, in the order it happened")
    submitted_at: str = Field(description="ISO 8601")
    filed_by_org: str | None
    filed_by_user: str | None
    open_objections: int
    notice_ends_on: str | None = Field(description="ISO date the 公示 ends, while in notice")
    attempt: int = Field(description="1, or more after an appeal upheld re-opened the review")
    open_complaints: int


class ReviewQueue(_View):
    items: list[ApplicationView] = Field(description="manual reviews, notices with objections, appeals, complaints")


class GraduateView(_View):
    graduate_id: str
    application_id: str
    origin_org: str
    graduation_year: int
    stage: str = Field(description="enrolment, training, internship, interview, contract, employed, grassroots, …")
    employer: str | None
    history: list[dict[str, Any]]
    version: int
    program: str | None
    handoff_id: str | None
    handoff_to: str | None
    handoff_status: str | None = Field(description="pending, accepted or returned, once handed off")
    recommended: list[str]
    supports: list[str]
    subsidies: list[str]


class GraduateList(_View):
    items: list[GraduateView]


class DeadlineState(_View):
    org_code: str
    deadline: str = Field(description="the code of a deadline in the policy's calendar")
    name: str
    due: str = Field(description="ISO date")
    status: str = Field(description="已报送, 逾期报送, 逾期, 今日截止 or 未到期")
    submitted_on: str | None


class Deadlines(_View):
    org_code: str
    items: list[DeadlineState]
