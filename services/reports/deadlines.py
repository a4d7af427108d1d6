"""Which reports the unions below have sent up for each deadline of the campaign calendar, and
which are 逾期 (due date passed, nothing sent). Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from services.shared.orgs import OrgTree
from services.shared.policy import Policy

SENT, SENT_LATE, OVERDUE, DUE_TODAY, NOT_DUE = "已报送", "逾期报送", "逾期", "今日截止", "未到期"


def children(tree: OrgTree, top: str) -> list[str]:
    return sorted(code for code, org in tree.orgs.items() if org.parent == top)


def deadline_status(policy: Policy, unions: list[str], sent: Mapping[tuple[str, str], dt.date],
                    today: dt.date | None) -> list[dict]:
    """One row per union and deadline that has a report: sent (on time or late), 逾期, or not due."""
    rows = []
    for deadline in (d for d in policy.calendar.deadlines if d.report):
        for org in unions:
            on = sent.get((org, deadline.code))
            if on is not None:
                status = SENT if on <= deadline.due else SENT_LATE
            elif today is not None and today > deadline.due:
                status = OVERDUE
            else:
                status = DUE_TODAY if today == deadline.due else NOT_DUE
            rows.append({"org_code": org, "deadline": deadline.code, "name": deadline.name,
                         "due": deadline.due.isoformat(), "status": status,
                         "submitted_on": on.isoformat() if on else None})
    return rows
