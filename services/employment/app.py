"""Composition of the employment service."""

from __future__ import annotations

from contracts.applications import ApplicationSubmitted
from contracts.employment import EmploymentProgressRecorded
from contracts.topics import APPLICATIONS, EMPLOYMENT
from services.employment import handlers
from services.shared.policy import load_book
from services.shared.runtime import ServiceRuntime, Subscription
from services.shared.settings import Settings


def create_service(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime(
        name="employment",
        package="services.employment",
        settings=settings,
        subscriptions=(
            Subscription(
                name="tracking",
                topics=(APPLICATIONS, EMPLOYMENT),
                handlers={
                    ApplicationSubmitted: handlers.graduate_registrar(load_book(settings.policy_files)),
                    EmploymentProgressRecorded: handlers.on_progress_recorded,
                },
            ),
        ),
    )
