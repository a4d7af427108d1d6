"""Registry events any union level publishes: hardship files and the 附件5 authorization."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from contracts.base import Event, OrgCode
from contracts.topics import HOUSEHOLDS


class HardshipKind(StrEnum):
    WORKER = "worker"  # 困难职工档案 (附件3)
    MIGRANT_WORKER = "migrant_worker"  # 困难农民工档案 (附件4)


class HardshipFileOpened(Event):
    NAME = "hardship_file.opened"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"
    ACTING_ORG_FIELD = "org_code"

    household_id: str
    org_code: OrgCode
    kind: HardshipKind
    worker_id_number: str
    opened_on: dt.date
    member_id_numbers: tuple[str, ...] = Field(default=(), description="Family members on the file")


class HardshipFileClosed(Event):
    NAME = "hardship_file.closed"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"
    ACTING_ORG_FIELD = "org_code"

    household_id: str
    org_code: OrgCode
    closed_on: dt.date
    reason: str = Field(description="e.g. 脱困 (out of hardship)")


class HouseholdCheckAuthorizationSigned(Event):
    NAME = "household_check_authorization.signed"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"
    ACTING_ORG_FIELD = "org_code"

    household_id: str
    org_code: OrgCode
    signed_on: dt.date
    signatory_id_numbers: tuple[str, ...] = Field(min_length=1)


class HouseholdCheckAuthorizationRevoked(Event):
    NAME = "household_check_authorization.revoked"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"
    ACTING_ORG_FIELD = "org_code"

    household_id: str
    org_code: OrgCode
    revoked_on: dt.date


class HouseholdCheckCompleted(Event):
    """The result of the household economic-status check (家庭经济状况核对) the 附件5 authorizes."""

    NAME = "household_check.completed"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"
    ACTING_ORG_FIELD = "org_code"

    household_id: str
    org_code: OrgCode
    checked_on: dt.date
    passed: bool
    note: str = ""


class WarmthVisitRecorded(Event):
    """The family was visited by routine 送温暖 aid this year."""

    NAME = "warmth_visit.recorded"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"
    ACTING_ORG_FIELD = "org_code"

    household_id: str
    org_code: OrgCode
    visited_on: dt.date
    worker_id_number: str


class WorkerKind(StrEnum):
    NEW_FORM = "new_form"  # 新就业形态劳动者
    MIGRANT = "migrant"  # 农民工


class GigWorkerRegistered(Event):
    """A hardship new-form-of-employment or migrant worker whose child studies in the city."""

    NAME = "gig_worker.registered"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"
    ACTING_ORG_FIELD = "org_code"

    household_id: str
    org_code: OrgCode
    registered_on: dt.date
    worker_id_number: str
    worker_kind: WorkerKind
