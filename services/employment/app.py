"""Composition of the employment service."""

from __future__ import annotations

from contracts.applications import ApplicationSubmitted
from contracts.employment import (
    EmploymentProgressRecorded,
    GraduateHandedOff,
    GraduateProfiled,
    GraduateRecommended,
    HandoffAnswered,
    JobFairHeld,
    SubsidyRequested,
    SupportArranged,
)
from contracts.topics import APPLICATIONS, EMPLOYMENT
from services.employment import handlers
from services.shared.policy import load_book
from services.shared.runtime import ServiceRuntime, Subscription
from services.shared.settings import Settings

GRADUATE_ACTS = (EmploymentProgressRecorded, GraduateProfiled, GraduateHandedOff, HandoffAnswered,
                 GraduateRecommended, SupportArranged, SubsidyRequested)


def create_service(settings: Settings) -> ServiceRuntime:
    book = load_book(settings.policy_files)
    on_act = handlers.graduate_acts(book)
    return ServiceRuntime(
        name="employment",
        package="services.employment",
        settings=settings,
        subscriptions=(
            Subscription(
                name="tracking",
                topics=(APPLICATIONS, EMPLOYMENT),
                handlers={
                    ApplicationSubmitted: handlers.graduate_registrar(book),
                    JobFairHeld: handlers.on_job_fair_held,
                    **dict.fromkeys(GRADUATE_ACTS, on_act),
                },
            ),
        ),
    )
