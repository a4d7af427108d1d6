"""The campaign calendar's reports: a union says it sent the report due on a deadline."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from contracts.base import Event, OrgCode
from contracts.topics import REVIEWS


class ReportSubmitted(Event):
    """A union has sent up the report of one of its policy's deadlines (e.g. the 08-29 stage
    report to the city); one not sent by its due date shows as 逾期 in the view above."""

    NAME = "report.submitted"
    TOPIC = REVIEWS
    KEY_FIELD = "org_code"
    ACTING_ORG_FIELD = "org_code"

    org_code: OrgCode
    campaign_year: int
    deadline: str = Field(min_length=1, max_length=64, description="The deadline's code in the policy calendar")
    submitted_on: dt.date = Field(description="The campaign date it was sent")
    recorded_by_user: str
