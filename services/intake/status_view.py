"""How an application's status view moves with each step (what one event means for it), as a
pure fold: statuses only move forward within a review attempt, a decision of a later attempt
(after an upheld appeal) starts over, a grant posted again after the bank refused the first one
is 已重新发放 (`reissued`) while the refused grant's own entry arriving late is not, and open
objections and complaints never count below zero. Events of several topics may arrive in any
order; the fold gives the same view. Intake's consumer loads the few columns this reads, folds a
run of events here and writes each application once (services/intake/handlers.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

STATUS_ORDER = ("submitted", "manual_review", "in_notice", "approved", "rejected", "appealed", "appeal_dismissed",
                "paid", "payment_failed", "reissued", "settled", "revoked")
_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}


@dataclass(frozen=True)
class Step:
    """What an event means for the application's status view."""

    application_id: str
    status: str | None  # None: recorded in the history, the status stays
    fields: dict
    notice_ends_on: dt.date | None = None
    objections: int = 0  # change in open objections
    attempt: int | None = None  # the review attempt a decision belongs to
    complaints: int = 0  # change in open complaints
    fund_sources: list[str] | None = None  # the funds its rule may pay from
    paid_from: str | None = None  # the fund account of its live grant


@dataclass(frozen=True)
class Standing:
    """The columns of an application's view that the next step is decided on."""

    status: str = "submitted"
    attempt: int = 1
    open_objections: int = 0
    open_complaints: int = 0
    refused_transfers: frozenset[str | None] = frozenset()  # grants the bank refused (payment_failed)


def advance(standing: Standing, step: Step) -> Standing:
    """The standing after `step`."""
    refused = standing.refused_transfers
    if step.status == "payment_failed":
        refused = refused | {step.fields.get("transfer_id")}
    return Standing(_next_status(standing, step), max(standing.attempt, step.attempt or standing.attempt),
                    max(standing.open_objections + step.objections, 0),
                    max(standing.open_complaints + step.complaints, 0), refused)


def _next_status(standing: Standing, step: Step) -> str:
    current = standing.status
    if step.status is None or (step.attempt is not None and step.attempt < standing.attempt):
        return current
    if (step.status == "paid" and current == "payment_failed"
            and step.fields.get("transfer_id") not in standing.refused_transfers):
        return "reissued"  # another grant than the refused one
    if step.attempt is not None and step.attempt > standing.attempt:
        return step.status
    if step.status in _RANK and current in _RANK and _RANK[step.status] >= _RANK[current]:
        return step.status
    return current


@dataclass
class Change:
    """What a run of steps writes for one application: its new standing, the history entries to
    append in order, and the last value each step set (None: the column keeps its value)."""

    standing: Standing
    entries: list[dict] = field(default_factory=list)
    amount_fen: int | None = None
    reasons: list[str] | None = None
    notice_ends_on: dt.date | None = None
    fund_sources: list[str] | None = None
    paid_from: str | None = None


def fold(standings: dict[str, Standing], steps: list[tuple[Step, dict]]) -> dict[str, Change]:
    """Each application's change after its (step, history entry) pairs, in order, from its
    standing (an application not among `standings` starts from the default)."""
    changes: dict[str, Change] = {}
    for step, entry in steps:
        change = changes.get(step.application_id)
        if change is None:
            change = changes[step.application_id] = Change(standings.get(step.application_id, Standing()))
        change.standing = advance(change.standing, step)
        change.entries.append(entry)
        for name, value in (("amount_fen", step.fields.get("amount_fen")), ("reasons", step.fields.get("reasons")),
                            ("notice_ends_on", step.notice_ends_on), ("fund_sources", step.fund_sources),
                            ("paid_from", step.paid_from)):
            if value is not None:
                setattr(change, name, value)
    return changes

