"""Composition of the verification service."""

from __future__ import annotations

from contracts.applications import ApplicationSubmitted
from contracts.households import (
    GigWorkerRegistered,
    HardshipFileClosed,
    HardshipFileOpened,
    HouseholdCheckAuthorizationRevoked,
    HouseholdCheckAuthorizationSigned,
    HouseholdCheckCompleted,
    WarmthVisitRecorded,
)
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
from contracts.topics import APPLICATIONS, CLOCK, HOUSEHOLDS, REVIEWS
from services.shared.policy import load_book
from services.shared.runtime import ServiceRuntime, Subscription
from services.shared.settings import Settings
from services.verification import handlers
from services.verification.notices import NoticeCloser


def create_service(settings: Settings) -> ServiceRuntime:
    book = load_book(settings.policy_files)
    return ServiceRuntime(
        name="verification",
        package="services.verification",
        settings=settings,
        subscriptions=(
            Subscription(
                name="review",
                topics=(HOUSEHOLDS, APPLICATIONS, REVIEWS, CLOCK),
                handlers={
                    HardshipFileOpened: handlers.on_hardship_file_opened,
                    HardshipFileClosed: handlers.on_hardship_file_closed,
                    HouseholdCheckAuthorizationSigned: handlers.on_authorization_signed,
                    HouseholdCheckAuthorizationRevoked: handlers.on_authorization_revoked,
                    HouseholdCheckCompleted: handlers.on_household_checked,
                    WarmthVisitRecorded: handlers.on_warmth_visit,
                    GigWorkerRegistered: handlers.on_gig_worker,
                    ApplicationSubmitted: handlers.application_reviewer(book),
                    ManualReviewDecided: handlers.manual_reviewer(book),
                    ObjectionRaised: handlers.on_objection_raised,
                    ObjectionResolved: handlers.on_objection_resolved,
                    AppealFiled: handlers.on_appeal_filed,
                    AppealDecided: handlers.appeal_decider(book),
                    ComplaintFiled: handlers.on_complaint_filed,
                    ComplaintDecided: handlers.on_complaint_decided,
                    ClockTicked: handlers.clock_ticker(settings.clock_max_jump_days),
                },
            ),
        ),
        leaders=(lambda runtime: NoticeCloser(runtime.pool, runtime.authority, runtime.source),),
    )
