"""Composition of the disbursement service."""

from __future__ import annotations

from contracts.applications import ApplicationVerified, GrantRevoked
from contracts.employment import SubsidyApproved
from contracts.funds import DonationReceived, FundAllocated
from contracts.ledger import BankCardCorrected, GrantRepaid, PaymentFailed, PaymentSettled
from contracts.topics import DECISIONS, FUNDS, PAYMENTS
from services.disbursement import handlers
from services.disbursement.sequencer import LedgerSequencer
from services.shared.consumer import Many
from services.shared.runtime import ServiceRuntime, Subscription
from services.shared.settings import Settings


def create_service(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime(
        name="disbursement",
        package="services.disbursement",
        settings=settings,
        subscriptions=(
            Subscription(
                name="payments",
                topics=(FUNDS, DECISIONS, PAYMENTS),
                handlers={
                    FundAllocated: handlers.on_fund_allocated,
                    DonationReceived: handlers.on_donation_received,
                    ApplicationVerified: Many(handlers.on_applications_verified),
                    PaymentSettled: handlers.on_payments_settled,
                    PaymentFailed: handlers.on_payment_failed,
                    BankCardCorrected: handlers.on_bank_card_corrected,
                    GrantRevoked: handlers.on_grant_revoked,
                    GrantRepaid: handlers.on_grant_repaid,
                    SubsidyApproved: handlers.on_subsidy_approved,
                },
            ),
        ),
        leaders=(lambda runtime: LedgerSequencer(runtime.pool, runtime.authority.seal),),
    )
