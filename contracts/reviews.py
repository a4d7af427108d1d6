"""People's acts on an application: manual review decisions and public-notice objections; the clock."""

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


class ClockTicked(Event):
    """Campaign time, as a fact: notice periods end when the clock says so, in tests and in replay."""

    NAME = "clock.ticked"
    TOPIC = CLOCK
    KEY_FIELD = "clock"

    clock: str = "campaign"
    today: dt.date
