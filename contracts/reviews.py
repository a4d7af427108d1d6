"""People's acts on an application: manual review decisions, public-notice objections, appeals
against a rejection, complaints about a grant; the clock."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from contracts.base import Event, OrgCode
from contracts.topics import CLOCK, REVIEWS


class ReviewOutcome(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class ManualReviewDecided(Event):
    NAME = "manual_review.decided"
    TOPIC = REVIEWS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "reviewer_org"

    application_id: str
    outcome: ReviewOutcome
    reviewer_org: OrgCode
    reviewer_user: str
    note: str = ""


def notice_over(ends_on: dt.date | None, today: dt.date | None) -> bool:
    """公示 runs through its last day: it is over once the campaign date has passed that day.
    Intake (refusing a late objection at once) and verification (closing notices, refusing
    objections) decide by this one rule."""
    return ends_on is not None and today is not None and ends_on < today


class ObjectionRaised(Event):
    """An objection during public notice (公示异议)."""

    NAME = "objection.raised"
    TOPIC = REVIEWS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "org_code"

    objection_id: str
    application_id: str
    org_code: OrgCode = Field(description="The union that recorded the objection")
    summary: str = Field(min_length=1, max_length=500)


class ObjectionOutcome(StrEnum):
    UPHELD = "upheld"  # the application is rejected
    DISMISSED = "dismissed"


class ObjectionResolved(Event):
    NAME = "objection.resolved"
    TOPIC = REVIEWS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "resolver_org"

    objection_id: str
    application_id: str
    outcome: ObjectionOutcome
    resolver_org: OrgCode
    resolver_user: str
    note: str = ""


class Ruling(StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class AppealFiled(Event):
    """An applicant's appeal against a rejection (申诉), recorded by a union on the applicant's line."""

    NAME = "appeal.filed"
    TOPIC = REVIEWS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "org_code"

    appeal_id: str
    application_id: str
    org_code: OrgCode = Field(description="The union that recorded the appeal")
    recorded_by_user: str
    grounds: str = Field(min_length=1, max_length=1000)


class AppealDecided(Event):
    """Upheld: the application is reviewed again on today's facts (e.g. the missing 附件5 is now
    signed). Dismissed: the rejection stands."""

    NAME = "appeal.decided"
    TOPIC = REVIEWS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "decider_org"

    appeal_id: str
    application_id: str
    ruling: Ruling
    decider_org: OrgCode
    decider_user: str
    note: str = ""


class ComplaintFiled(Event):
    """A complaint about an approved or paid grant (投诉), e.g. a household that was not in hardship."""

    NAME = "complaint.filed"
    TOPIC = REVIEWS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "org_code"

    complaint_id: str
    application_id: str
    org_code: OrgCode = Field(description="The union that recorded the complaint")
    recorded_by_user: str
    summary: str = Field(min_length=1, max_length=1000)


class ComplaintDecided(Event):
    """Upheld: the grant is revoked (a correcting ledger entry if it was paid). Dismissed: it stands."""

    NAME = "complaint.decided"
    TOPIC = REVIEWS
    KEY_FIELD = "application_id"
    ACTING_ORG_FIELD = "decider_org"

    complaint_id: str
    application_id: str
    ruling: Ruling
    decider_org: OrgCode
    decider_user: str
    note: str = ""


class ClockTicked(Event):
    """Campaign time, as a fact: notice periods end when the clock says so, in tests and in replay."""

    NAME = "clock.ticked"
    TOPIC = CLOCK
    KEY_FIELD = "clock"

    clock: str = "campaign"
    today: dt.date
