"""Who may say what: the producers of each event type, and the topics each principal may write
and read. One table, used twice: consumers refuse an event signed by anyone not listed for its
type, and the broker's ACLs let each principal write only the topics of the events it produces.

Principals are the four services, the scheduler (campaign clock), the bank (payment results)
and the union publishers. A union publisher signs with its own org's key; intake signs what it
accepts over HTTP from a union's authenticated staff, on that union's behalf.
"""

from __future__ import annotations

from contracts import registry as r
from contracts.base import Event
from contracts.topics import (
    APPLICATIONS,
    CLOCK,
    DEAD_LETTER,
    DECISIONS,
    EMPLOYMENT,
    FUNDS,
    HOUSEHOLDS,
    LEDGER,
    PAYMENTS,
    REVIEWS,
    Topic,
)

INTAKE, VERIFICATION, DISBURSEMENT, EMPLOYMENT_SERVICE = "intake", "verification", "disbursement", "employment"
SCHEDULER, BANK, UNION = "scheduler", "bank", "union"
SERVICES = (INTAKE, VERIFICATION, DISBURSEMENT, EMPLOYMENT_SERVICE)
PRINCIPALS = (*SERVICES, SCHEDULER, BANK, UNION)

_UNION_OR_INTAKE = frozenset({UNION, INTAKE})

PRODUCERS: dict[type[Event], frozenset[str]] = {
    r.ApplicationSubmitted: _UNION_OR_INTAKE,
    r.ApplicationVerified: frozenset({VERIFICATION}),
    r.ApplicationRejected: frozenset({VERIFICATION}),
    r.ManualReviewRequired: frozenset({VERIFICATION}),
    r.ApplicationInNotice: frozenset({VERIFICATION}),
    r.HardshipFileOpened: frozenset({UNION}),
    r.HardshipFileClosed: frozenset({UNION}),
    r.HouseholdCheckAuthorizationSigned: frozenset({UNION}),
    r.HouseholdCheckAuthorizationRevoked: frozenset({UNION}),
    r.HouseholdCheckCompleted: frozenset({UNION}),
    r.WarmthVisitRecorded: frozenset({UNION}),
    r.GigWorkerRegistered: frozenset({UNION}),
    r.ManualReviewDecided: _UNION_OR_INTAKE,
    r.ObjectionRaised: _UNION_OR_INTAKE,
    r.ObjectionResolved: _UNION_OR_INTAKE,
    r.AppealFiled: _UNION_OR_INTAKE,
    r.AppealDecided: _UNION_OR_INTAKE,
    r.ComplaintFiled: _UNION_OR_INTAKE,
    r.ComplaintDecided: _UNION_OR_INTAKE,
    r.GrantRevoked: frozenset({VERIFICATION}),
    r.ClockTicked: frozenset({SCHEDULER}),
    r.FundAllocated: frozenset({UNION}),
    r.DonationReceived: frozenset({UNION}),
    r.LedgerTransferPosted: frozenset({DISBURSEMENT}),
    r.PaymentRequested: frozenset({DISBURSEMENT}),
    r.PaymentSettled: frozenset({BANK}),
    r.PaymentFailed: frozenset({BANK}),
    r.BankCardCorrected: _UNION_OR_INTAKE,
    r.GrantRepaid: _UNION_OR_INTAKE,
    r.GraduateRegistered: frozenset({EMPLOYMENT_SERVICE}),
    r.EmploymentProgressRecorded: _UNION_OR_INTAKE,
    r.GraduateProfiled: _UNION_OR_INTAKE,
    r.GraduateHandedOff: _UNION_OR_INTAKE,
    r.HandoffAnswered: _UNION_OR_INTAKE,
    r.JobFairHeld: _UNION_OR_INTAKE,
    r.GraduateRecommended: _UNION_OR_INTAKE,
    r.SupportArranged: _UNION_OR_INTAKE,
    r.SubsidyRequested: _UNION_OR_INTAKE,
    r.SubsidyApproved: frozenset({EMPLOYMENT_SERVICE}),
    r.GraduateRecorded: frozenset({EMPLOYMENT_SERVICE}),
    r.ReportSubmitted: _UNION_OR_INTAKE,
}

READS: dict[str, tuple[Topic, ...]] = {
    INTAKE: (APPLICATIONS, DECISIONS, REVIEWS, LEDGER, PAYMENTS, EMPLOYMENT, FUNDS, CLOCK),
    VERIFICATION: (HOUSEHOLDS, APPLICATIONS, REVIEWS, CLOCK),
    DISBURSEMENT: (FUNDS, DECISIONS, PAYMENTS),
    EMPLOYMENT_SERVICE: (APPLICATIONS, EMPLOYMENT),
    BANK: (PAYMENTS,),
}


def writes(principal: str) -> tuple[Topic, ...]:
    """The topics of the events `principal` produces; every service also dead-letters."""
    topics = {event.TOPIC for event, producers in PRODUCERS.items() if principal in producers}
    if principal in SERVICES:
        topics.add(DEAD_LETTER)
    return tuple(sorted(topics, key=lambda t: t.name))


def may_produce(principal: str, event_type: type[Event]) -> bool:
    return principal in PRODUCERS.get(event_type, frozenset())
