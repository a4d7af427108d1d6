"""Composition of the intake service: runtime (consumers, outbox relay) plus the HTTP API."""

from __future__ import annotations

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    GrantRevoked,
    ManualReviewRequired,
)
from contracts.campaign import ReportSubmitted
from contracts.employment import GraduateRecorded, GraduateRegistered, JobFairHeld
from contracts.funds import DonationReceived
from contracts.ledger import BankCardCorrected, GrantRepaid, LedgerTransferPosted, PaymentFailed, PaymentSettled
from contracts.reviews import (
    AppealDecided,
    AppealFiled,
    ClockTicked,
    ComplaintDecided,
    ComplaintFiled,
    ManualReviewDecided,
    ObjectionRaised,
    ObjectionResolved,
)
from contracts.topics import APPLICATIONS, CLOCK, DECISIONS, EMPLOYMENT, FUNDS, LEDGER, PAYMENTS, REVIEWS
from services.intake import handlers
from services.shared.consumer import Many
from services.shared.runtime import ServiceRuntime, Subscription
from services.shared.settings import Settings


def create_service(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime(
        name="intake",
        package="services.intake",
        settings=settings,
        subscriptions=(
            Subscription(
                name="status",
                topics=(APPLICATIONS, DECISIONS, REVIEWS, LEDGER, PAYMENTS, EMPLOYMENT, FUNDS, CLOCK),
                handlers={
                    ApplicationSubmitted: handlers.on_submitted_elsewhere,
                    ApplicationVerified: handlers.follow(handlers.verified),
                    ApplicationRejected: handlers.follow(handlers.rejected),
                    ApplicationInNotice: handlers.follow(handlers.in_notice),
                    ManualReviewRequired: handlers.follow(handlers.manual_review_required),
                    ManualReviewDecided: handlers.follow(handlers.review_decided),
                    ObjectionRaised: handlers.follow(handlers.objection_raised),
                    ObjectionResolved: handlers.follow(handlers.objection_resolved),
                    AppealFiled: handlers.follow(handlers.appeal_filed),
                    AppealDecided: handlers.follow(handlers.appeal_decided),
                    ComplaintFiled: handlers.follow(handlers.complaint_filed),
                    ComplaintDecided: handlers.follow(handlers.complaint_decided),
                    GrantRevoked: handlers.follow(handlers.revoked),
                    GrantRepaid: handlers.follow(handlers.repaid),
                    LedgerTransferPosted: Many(handlers.on_ledger_entries),
                    BankCardCorrected: handlers.follow(handlers.card_corrected),
                    PaymentSettled: handlers.follow(handlers.settled),
                    PaymentFailed: handlers.follow(handlers.failed),
                    GraduateRegistered: Many(handlers.on_graduates_registered),
                    GraduateRecorded: Many(handlers.on_graduates_recorded),
                    JobFairHeld: handlers.on_job_fair,
                    ReportSubmitted: handlers.on_report_submitted,
                    DonationReceived: handlers.on_donation,
                    ClockTicked: handlers.on_clock_ticked,
                },
            ),
        ),
    )
