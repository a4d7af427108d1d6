"""Type name → event model, and the upcasters that lift old versions to the current one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    GrantRevoked,
    ManualReviewRequired,
    upcast_decision_v1_v2,
)
from contracts.base import Event
from contracts.campaign import ReportSubmitted
from contracts.employment import (
    EmploymentProgressRecorded,
    GraduateHandedOff,
    GraduateProfiled,
    GraduateRecommended,
    GraduateRecorded,
    GraduateRegistered,
    HandoffAnswered,
    JobFairHeld,
    SubsidyApproved,
    SubsidyRequested,
    SupportArranged,
)
from contracts.envelope import TYPE_PREFIX, Envelope
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
    GrantRepaid,
    LedgerTransferPosted,
    PaymentFailed,
    PaymentRequested,
    PaymentSettled,
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
    AppealFiled,
    AppealDecided,
    ComplaintFiled,
    ComplaintDecided,
    GrantRevoked,
    ClockTicked,
    FundAllocated,
    DonationReceived,
    LedgerTransferPosted,
    PaymentRequested,
    PaymentSettled,
    PaymentFailed,
    BankCardCorrected,
    GrantRepaid,
    GraduateRegistered,
    EmploymentProgressRecorded,
    GraduateProfiled,
    GraduateHandedOff,
    HandoffAnswered,
    JobFairHeld,
    GraduateRecommended,
    SupportArranged,
    SubsidyRequested,
    SubsidyApproved,
    GraduateRecorded,
    ReportSubmitted,
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
    return decode_data(envelope.type, envelope.data)


def decode_data(type_name: str, data: dict[str, Any], models: dict[str, type[Event]] = BY_NAME) -> Event:
    """The current-version event of `type_name` (cn.jinqiu.<name>.v<n>) with this data, as published
    or as kept in an event store (where `models` may add a service's own internal events)."""
    name, _, version_text = type_name.removeprefix(TYPE_PREFIX).rpartition(".v")
    model = models.get(name)
    version = int(version_text) if version_text.isdigit() else 0
    if model is None or not 0 < version <= model.VERSION:
        raise UnknownEventType(type_name)
    data = dict(data)
    while version < model.VERSION:
        try:
            data = UPCASTERS[(model.NAME, version)](data)
        except KeyError:
            raise UnknownEventType(f"{type_name}: no upcaster from v{version}") from None
        version += 1
    return model.model_validate(data)
