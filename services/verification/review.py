"""The review of one application as an aggregate: its state is a fold of its own event stream
(the application as filed, verification's decisions, and people's acts on it), and each act is a
pure method that checks the rules and returns the events it adds. No I/O: the handlers load and
save through a repository, the tests use a fake one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    GrantRevoked,
    ManualReviewRequired,
)
from contracts.base import Event
from contracts.reviews import (
    AppealDecided,
    AppealFiled,
    ComplaintDecided,
    ComplaintFiled,
    ManualReviewDecided,
    ObjectionOutcome,
    ObjectionRaised,
    ObjectionResolved,
    ReviewOutcome,
    Ruling,
    notice_over,
)
from contracts.topics import DECISIONS
from services.shared.errors import Refused
from services.shared.labels import STATUS
from services.verification.domain import HouseholdFacts, Outcome, decision_inputs, notice

DUPLICATE_OF = "duplicate_of"
OBJECTION_UPHELD = "objection_upheld"
MANUAL_REVIEW_REJECTED = "manual_review_rejected"
COMPLAINT_UPHELD = "complaint_upheld"

Decision = ApplicationVerified | ApplicationRejected
Scope = Callable[[str, str], bool]
"""(acting org, application's org) → may the one act on the other's case."""

class EntitlementAssessed(Event):
    """Review passed: what will be paid once notice (and any manual review) ends clean. Kept in the
    review's own stream and never published: only the approval after notice is a public fact."""

    NAME = "entitlement.assessed"
    TOPIC = DECISIONS  # nominal: verification stores it, never publishes it
    KEY_FIELD = "application_id"

    verified: ApplicationVerified

    @property
    def application_id(self) -> str:
        return self.verified.application_id


@dataclass(frozen=True)
class Review:
    """Where one application's review stands; `version` is the length of its stream."""

    application: ApplicationSubmitted
    version: int = 1
    status: str = "submitted"
    attempt: int = 1
    entitlement: ApplicationVerified | None = None
    notice_ends_on: dt.date | None = None
    objections: Mapping[str, str] = field(default_factory=dict)  # objection id → open / upheld / dismissed
    appeals: Mapping[str, str] = field(default_factory=dict)
    complaints: Mapping[str, str] = field(default_factory=dict)

    @property
    def application_id(self) -> str:
        return self.application.application_id

    @property
    def open_objections(self) -> int:
        return sum(1 for status in self.objections.values() if status == "open")

    # --- the fold ---------------------------------------------------------------------------

    @classmethod
    def fold(cls, events: Iterable[Event]) -> Review:
        """The review after `events`, its whole stream in order (the first is the application)."""
        stream = iter(events)
        review = cls(application=next(stream))
        for event in stream:
            review = review.apply(event)
        return review

    def apply(self, event: Event) -> Review:
        moved = replace(self, version=self.version + 1)
        match event:
            case ManualReviewRequired():
                return replace(moved, status="manual_review", attempt=event.attempt)
            case ApplicationInNotice():
                return replace(moved, status="in_notice", attempt=event.attempt, notice_ends_on=event.ends_on)
            case EntitlementAssessed():
                return replace(moved, entitlement=event.verified, attempt=event.verified.attempt)
            case ApplicationVerified():
                return replace(moved, status="approved", entitlement=event)
            case ApplicationRejected():
                return replace(moved, status="rejected", attempt=event.attempt, notice_ends_on=None)
            case ObjectionRaised():
                return replace(moved, objections={**self.objections, event.objection_id: "open"})
            case ObjectionResolved():
                return replace(moved, objections={**self.objections, event.objection_id: event.outcome.value})
            case AppealFiled():
                return replace(moved, status="appealed", appeals={**self.appeals, event.appeal_id: "open"})
            case AppealDecided():
                status = "rejected" if event.ruling is Ruling.DISMISSED else self.status
                return replace(moved, status=status, appeals={**self.appeals, event.appeal_id: event.ruling.value})
            case ComplaintFiled():
                return replace(moved, complaints={**self.complaints, event.complaint_id: "open"})
            case ComplaintDecided():
                return replace(moved, complaints={**self.complaints, event.complaint_id: event.ruling.value})
            case GrantRevoked():
                return replace(moved, status="revoked")
        return moved

    # --- acts -------------------------------------------------------------------------------

    def _require(self, *statuses: str) -> None:
        if self.status not in statuses:
            wanted = "或".join(f"“{STATUS[s]}”" for s in statuses)
            raise Refused("wrong_state", f"申请{self.application_id}当前为“{STATUS[self.status]}”，"
                                         f"只有{wanted}的申请可以办理此项")

    def _decider(self, org: str, user: str, may_act: Scope) -> None:
        """Someone other than the filer, from a union that may act on the case, decides it."""
        if (self.application.filed_by_org, self.application.filed_by_user) == (org, user):
            raise Refused("filer_cannot_decide", "申报人不能审批或处理本人申报的申请")
        if not may_act(org, self.application.org_code):
            raise Refused("org_out_of_scope", f"{org}无权处理{self.application.org_code}的申请")

    def _recorder(self, org: str, on_line: Scope) -> None:
        if not on_line(org, self.application.org_code):
            raise Refused("org_out_of_scope", f"{org}无权登记{self.application.org_code}申请的事项")

    def _stamped(self, event: Event, attempt: int | None = None) -> Event:
        return event.model_copy(update={"attempt": attempt or self.attempt})

    def outcome_events(self, outcome: Outcome | ApplicationRejected, starts_on: dt.date, notice_days: int | None,
                       attempt: int) -> list[Event]:
        """What a review's outcome adds to the stream: a rejection; or the entitlement and then a
        manual review, or the public notice."""
        if isinstance(outcome, ApplicationRejected):
            return [self._stamped(outcome, attempt)]
        verified = self._stamped(outcome.verified, attempt)
        assessed = EntitlementAssessed(verified=verified)
        if outcome.manual_review:
            return [assessed, self._stamped(outcome.manual_review, attempt)]
        return [assessed, self._stamped(notice(verified, starts_on, notice_days), attempt)]

    def decide_manually(self, act: ManualReviewDecided, today: dt.date, notice_days: int, may_act: Scope) -> list[Event]:
        self._require("manual_review")
        self._decider(act.reviewer_org, act.reviewer_user, may_act)
        if act.outcome is ReviewOutcome.APPROVE:
            return [act, self._stamped(notice(self.entitlement, today, notice_days))]
        return [act, self._rejection(MANUAL_REVIEW_REJECTED)]

    def raise_objection(self, act: ObjectionRaised, today: dt.date, on_line: Scope) -> list[Event]:
        """Only while the notice runs: once the clock has passed its last day the notice is over,
        even where its closing has not been recorded yet."""
        self._require("in_notice")
        if notice_over(self.notice_ends_on, today):
            raise Refused("notice_over", f"公示已于{self.notice_ends_on}结束，不能再提出异议")
        self._recorder(act.org_code, on_line)
        return [act]

    def resolve_objection(self, act: ObjectionResolved, today: dt.date, may_act: Scope) -> list[Event]:
        self._require("in_notice")
        self._decider(act.resolver_org, act.resolver_user, may_act)
        if self.objections.get(act.objection_id) != "open":
            raise Refused("objection_not_open", f"异议{act.objection_id}不存在或已处理")
        if act.outcome is ObjectionOutcome.UPHELD:
            return [act, self._rejection(OBJECTION_UPHELD)]
        return [act, *self.apply(act).close_notice(today)]

    def close_notice(self, today: dt.date) -> list[Event]:
        """公示 over with no open objection: the entitlement becomes approved for payment."""
        if self.status != "in_notice" or not notice_over(self.notice_ends_on, today):
            return []
        if self.open_objections:
            return []
        return [self.entitlement]

    def file_appeal(self, act: AppealFiled, on_line: Scope) -> list[Event]:
        self._require("rejected")
        self._recorder(act.org_code, on_line)
        return [act]

    def decide_appeal(self, act: AppealDecided, may_act: Scope,
                      review_again: Callable[[int], list[Event]]) -> list[Event]:
        """An upheld appeal opens attempt n+1: the application is reviewed again on today's facts
        (`review_again(attempt)` gives the outcome's events); a dismissed one leaves it rejected."""
        self._require("appealed")
        self._decider(act.decider_org, act.decider_user, may_act)
        if self.appeals.get(act.appeal_id) != "open":
            raise Refused("appeal_not_open", f"申诉{act.appeal_id}不存在或已处理")
        if act.ruling is Ruling.DISMISSED:
            return [act]
        return [act, *review_again(self.attempt + 1)]

    def file_complaint(self, act: ComplaintFiled, on_line: Scope) -> list[Event]:
        self._require("approved")
        self._recorder(act.org_code, on_line)
        if "open" in self.complaints.values():
            raise Refused("complaint_open", f"申请{self.application_id}已有待处理的投诉")
        return [act]

    def decide_complaint(self, act: ComplaintDecided, may_act: Scope) -> list[Event]:
        self._require("approved")
        self._decider(act.decider_org, act.decider_user, may_act)
        if self.complaints.get(act.complaint_id) != "open":
            raise Refused("complaint_not_open", f"投诉{act.complaint_id}不存在或已处理")
        if act.ruling is Ruling.DISMISSED:
            return [act]
        return [act, GrantRevoked(application_id=self.application_id, org_code=self.application.org_code,
                                  complaint_id=act.complaint_id, reasons=(COMPLAINT_UPHELD,),
                                  decided_by_org=act.decider_org, decided_by_user=act.decider_user)]

    def _rejection(self, reason: str) -> ApplicationRejected:
        """Only under manual review or on notice, where the entitlement assessed names the rule."""
        e = self.entitlement
        return ApplicationRejected(application_id=self.application_id, org_code=self.application.org_code,
                                   reasons=(reason,), policy_version=e.policy_version, rule_id=e.rule_id,
                                   inputs=e.inputs, attempt=self.attempt)


def duplicate(app: ApplicationSubmitted, holder: str, facts: HouseholdFacts, policy_version: str) -> ApplicationRejected:
    """The student already holds this year's aid through another live or approved filing."""
    return ApplicationRejected(application_id=app.application_id, org_code=app.org_code, reasons=(DUPLICATE_OF,),
                               policy_version=policy_version, duplicate_of=holder,
                               inputs=decision_inputs(app, facts))


def projection(review: Review) -> dict:
    """The `reviews` row of a review: what queries and the notice clock look up."""
    app = review.application
    return {
        "application_id": review.application_id, "org_code": app.org_code, "filed_by_org": app.filed_by_org,
        "filed_by_user": app.filed_by_user, "status": review.status, "version": review.version,
        "attempt": review.attempt, "category": app.category.value, "program": app.program.value,
        "stage": app.student.stage.value, "notice_ends_on": review.notice_ends_on,
        "open_objections": review.open_objections,
        "entitlement": review.entitlement.model_dump(mode="json") if review.entitlement else None,
    }
