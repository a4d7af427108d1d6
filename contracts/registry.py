"""Type name → event model, and the upcasters that lift old versions to the current one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    ManualReviewRequired,
    upcast_decision_v1_v2,
)
from contracts.base import Event
from contracts.employment import EmploymentProgressRecorded, GraduateRegistered
from contracts.envelope import Envelope
from contracts.funds import DonationReceived, FundAllocated
from contracts.households import (
    GigWorkerRegistered,
    HardshipFileClosed,
    HardshipFileOpened,
    HouseholdCheckAuthorizationRevoked,
    HouseholdCheckAuthorizationSigned,
    HouseholdCheckCompleted,
    WarmthVisitRecorded,
)
from contracts.ledger import (
    BankCardCorrected,
    LedgerTransferPosted,
    PaymentFailed,
    PaymentRequested,
    PaymentSettled,
)
from contracts.reviews import ClockTicked, ManualReviewDecided, ObjectionRaised, ObjectionResolved

EVENTS: tuple[type[Event], ...] = (
    ApplicationSubmitted,
    ApplicationVerified,
    ApplicationRejected,
    ManualReviewRequired,
    ApplicationInNotice,
    HardshipFileOpened,
    HardshipFileClosed,
    HouseholdCheckAuthorizationSigned,
    HouseholdCheckAuthorizationRevoked,
    HouseholdCheckCompleted,
    WarmthVisitRecorded,
    GigWorkerRegistered,
    ManualReviewDecided,
    ObjectionRaised,
    ObjectionResolved,
    ClockTicked,
    FundAllocated,
    DonationReceived,
    LedgerTransferPosted,
    PaymentRequested,
    PaymentSettled,
    PaymentFailed,
    BankCardCorrected,
    GraduateRegistered,
    EmploymentProgressRecorded,
)
BY_NAME: dict[str, type[Event]] = {e.NAME: e for e in EVENTS}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
# (event name, version it reads) → function returning the data of version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    (ApplicationVerified.NAME, 1): upcast_decision_v1_v2,
    (ApplicationRejected.NAME, 1): upcast_decision_v1_v2,
}


class UnknownEventType(ValueError):
    """A message whose type no version of this code knows: a dead letter, never a crash."""


def decode(envelope: Envelope) -> Event:
    """The current-version event in an envelope, upcasting older versions step by step."""
    model = BY_NAME.get(envelope.event_name)
    if model is None or envelope.version > model.VERSION:
        raise UnknownEventType(envelope.type)
    data, version = dict(envelope.data), envelope.version
    while version < model.VERSION:
        try:
            data = UPCASTERS[(model.NAME, version)](data)
        except KeyError:
            raise UnknownEventType(f"{envelope.type}: no upcaster from v{version}") from None
        version += 1
    return model.model_validate(data)
