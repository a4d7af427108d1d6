"""阳光就业: graduates followed from enrolment to their first job."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from contracts.base import Event, OrgCode
from contracts.topics import EMPLOYMENT


class EmploymentStage(StrEnum):
    """实名制档案 stages, in order."""

    ENROLMENT = "enrolment"  # 入学
    TRAINING = "training"  # 培训
    INTERNSHIP = "internship"  # 实习
    JOB_SEEKING = "job_seeking"  # 求职
    INTERVIEW = "interview"  # 洽谈
    CONTRACT = "contract"  # 签约
    EMPLOYED = "employed"  # 就业


class GraduateRegistered(Event):
    NAME = "graduate.registered"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"

    graduate_id: str
    application_id: str
    origin_org: OrgCode
    graduation_year: int


class EmploymentProgressRecorded(Event):
    NAME = "employment_progress.recorded"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    graduate_id: str
    org_code: OrgCode
    stage: EmploymentStage
    recorded_on: dt.date
    employer: str | None = None
