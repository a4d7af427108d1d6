"""Composition of the intake service: runtime (consumers, outbox relay) plus the HTTP API."""

from __future__ import annotations

from contracts.applications import ApplicationRejected, ApplicationVerified
from contracts.ledger import LedgerTransferPosted, PaymentFailed, PaymentSettled
from contracts.topics import DECISIONS, LEDGER, PAYMENTS
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
                topics=(DECISIONS, LEDGER, PAYMENTS),
                handlers={
                    ApplicationVerified: handlers.on_verified,
                    ApplicationRejected: handlers.on_rejected,
                    LedgerTransferPosted: handlers.on_transfer,
                    PaymentSettled: handlers.on_settled,
                    PaymentFailed: handlers.on_failed,
                },
            ),
        ),
    )
