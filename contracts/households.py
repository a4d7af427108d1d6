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

    household_id: str
    org_code: OrgCode
    kind: HardshipKind
    worker_id_number: str
    opened_on: dt.date


class HardshipFileClosed(Event):
    NAME = "hardship_file.closed"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"

    household_id: str
    org_code: OrgCode
    closed_on: dt.date
    reason: str = Field(description="e.g. 脱困 (out of hardship)")


class HouseholdCheckAuthorizationSigned(Event):
    NAME = "household_check_authorization.signed"
    TOPIC = HOUSEHOLDS
    KEY_FIELD = "household_id"

    household_id: str
    org_code: OrgCode
    signed_on: dt.date
    signatory_id_numbers: tuple[str, ...] = Field(min_length=1)
