"""Composition of the verification service."""

from __future__ import annotations

from contracts.applications import ApplicationSubmitted
from contracts.households import (
    HardshipFileClosed,
    HardshipFileOpened,
    HouseholdCheckAuthorizationSigned,
)
from contracts.topics import APPLICATIONS, HOUSEHOLDS
from services.shared.runtime import ServiceRuntime, Subscription
from services.shared.settings import Settings
from services.verification import handlers
from services.verification.policy import load_policy


def create_service(settings: Settings) -> ServiceRuntime:
    policy = load_policy(settings.policy_file)
    return ServiceRuntime(
        name="verification",
        package="services.verification",
        settings=settings,
        subscriptions=(
            Subscription(
                name="review",
                topics=(HOUSEHOLDS, APPLICATIONS),
                handlers={
                    HardshipFileOpened: handlers.on_hardship_file_opened,
                    HardshipFileClosed: handlers.on_hardship_file_closed,
                    HouseholdCheckAuthorizationSigned: handlers.on_authorization_signed,
                    ApplicationSubmitted: handlers.application_reviewer(policy),
                },
            ),
        ),
    )
