"""Composition of the intake service: runtime (consumers, outbox relay) plus the HTTP API."""

from __future__ import annotations

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    ManualReviewRequired,
)
from contracts.ledger import BankCardCorrected, LedgerTransferPosted, PaymentFailed, PaymentSettled
from contracts.reviews import ManualReviewDecided, ObjectionRaised, ObjectionResolved
from contracts.topics import APPLICATIONS, DECISIONS, LEDGER, PAYMENTS, REVIEWS
from services.intake import handlers
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
                topics=(APPLICATIONS, DECISIONS, REVIEWS, LEDGER, PAYMENTS),
                handlers={
                    ApplicationSubmitted: handlers.on_submitted_elsewhere,
                    ApplicationVerified: handlers.on_verified,
                    ApplicationRejected: handlers.on_rejected,
                    ApplicationInNotice: handlers.on_in_notice,
                    ManualReviewRequired: handlers.on_manual_review_required,
                    ManualReviewDecided: handlers.on_review_decided,
                    ObjectionRaised: handlers.on_objection_raised,
                    ObjectionResolved: handlers.on_objection_resolved,
                    LedgerTransferPosted: handlers.on_transfer,
                    PaymentSettled: handlers.on_settled,
                    PaymentFailed: handlers.on_failed,
                    BankCardCorrected: handlers.on_card_corrected,
                },
            ),
        ),
    )
