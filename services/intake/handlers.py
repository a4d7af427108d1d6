"""Intake's use cases: file an application; follow its decision and payment into the read model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    ManualReviewRequired,
)
from contracts.ledger import BankCardCorrected, LedgerTransferPosted, PaymentFailed, PaymentSettled, TransferKind
from contracts.reviews import ManualReviewDecided, ObjectionRaised, ObjectionResolved
from services.intake.domain import ApplicationForm, submit
from services.shared import eventstore
from services.shared.authority import Authority, Principal
from services.shared.consumer import HandlerContext

SOURCE = "/jinqiu/intake"


@dataclass(frozen=True)
class Filed:
    application_id: str
    created: bool


async def file_applications(
    conn: asyncpg.Connection, forms: list[ApplicationForm], principal: Principal, authority: Authority,
    correlation_id: str,
) -> list[Filed]:
    """Store and emit ApplicationSubmitted once per (org, submission id), for many forms in two
    statements, in the caller's transaction. The caller has checked each form's scope."""
    events = [submit(form, principal.org, principal.user) for form in forms]
    history = [{"status": "submitted", "by": principal.org, "user": principal.user, "at": datetime.now(UTC).isoformat()}]
    created = {r["application_id"] for r in await conn.fetch(
        "INSERT INTO applications (application_id, submission_id, org_code, status, history, filed_by_org, "
        "filed_by_user) SELECT a, s, o, 'submitted', $4::jsonb, $5, $6 FROM unnest($1::text[], $2::text[], $3::text[]) "
        "AS u(a, s, o) ON CONFLICT DO NOTHING RETURNING application_id",
        [e.application_id for e in events], [f.submission_id for f in forms], [f.org_code for f in forms],
        history, principal.org, principal.user,
    )}
    first_of_each = {e.application_id: e for e in reversed(events) if e.application_id in created}
    await eventstore.append(
        conn, [(f"application-{e.application_id}", 1, e) for e in first_of_each.values()],
        source=SOURCE, orgcode=principal.org, correlationid=correlation_id, seal=authority.sign_as,
    )
    return [Filed(e.application_id, created=e.application_id in created) for e in events]


async def file_application(
    conn: asyncpg.Connection, form: ApplicationForm, principal: Principal, authority: Authority, correlation_id: str
) -> Filed:
    """One filing: refused outside the filer's subtree."""
    authority.require_scope(principal.org, form.org_code)
    (filed,) = await file_applications(conn, [form], principal, authority, correlation_id)
    return filed


async def on_submitted_elsewhere(ctx: HandlerContext, e: ApplicationSubmitted) -> None:
    """Applications other union systems publish straight to Kafka are visible here too."""
    await ctx.conn.execute(
        "INSERT INTO applications (application_id, submission_id, org_code, status, history, filed_by_org, "
        "filed_by_user) VALUES ($1, $2, $3, 'submitted', $4, $5, $6) ON CONFLICT DO NOTHING",
        e.application_id, e.submission_id, e.org_code,
        [{"status": "submitted", "by": e.filed_by_org, "user": e.filed_by_user, "at": ctx.envelope.time.isoformat()}],
        e.filed_by_org, e.filed_by_user,
    )


# Statuses only move forward, whatever order the events of several topics arrive in.
STATUS_ORDER = ["submitted", "manual_review", "in_notice", "approved", "rejected", "paid", "payment_failed",
                "reissued", "settled"]


async def _advance(ctx: HandlerContext, application_id: str, status: str | None, **fields: object) -> None:
    """Append to the history, stamped with the event's time; move to `status` unless it is None
    (an event that changes no status)."""
    at = {"at": ctx.envelope.time.isoformat()}
    entry = [{"status": status, **fields, **at} if status else {**fields, **at}]
    await ctx.conn.execute(
        "UPDATE applications SET status = CASE WHEN array_position($6::text[], $2) >= "
        "array_position($6::text[], status) THEN $2 ELSE status END, history = history || $3::jsonb, "
        "amount_fen = COALESCE($4, amount_fen), reasons = COALESCE($5, reasons) "
        "WHERE application_id = $1",
        application_id, status, entry, fields.get("amount_fen"), fields.get("reasons"), STATUS_ORDER,
    )


async def on_manual_review_required(ctx: HandlerContext, e: ManualReviewRequired) -> None:
    await _advance(ctx, e.application_id, "manual_review", reasons=[e.reason])


async def on_in_notice(ctx: HandlerContext, e: ApplicationInNotice) -> None:
    await _advance(ctx, e.application_id, "in_notice", amount_fen=e.amount_fen, rule_id=e.rule_id,
                   notice_from=e.starts_on.isoformat(), notice_until=e.ends_on.isoformat())
    await ctx.conn.execute("UPDATE applications SET notice_ends_on = $2 WHERE application_id = $1",
                           e.application_id, e.ends_on)


async def on_review_decided(ctx: HandlerContext, e: ManualReviewDecided) -> None:
    await _advance(ctx, e.application_id, None, event="manual_review_decided", outcome=e.outcome.value,
                   by=e.reviewer_org, user=e.reviewer_user, note=e.note)


async def on_objection_raised(ctx: HandlerContext, e: ObjectionRaised) -> None:
    await _advance(ctx, e.application_id, None, event="objection_raised", objection_id=e.objection_id,
                   by=e.org_code, summary=e.summary)
    await ctx.conn.execute("UPDATE applications SET open_objections = open_objections + 1 "
                           "WHERE application_id = $1", e.application_id)


async def on_objection_resolved(ctx: HandlerContext, e: ObjectionResolved) -> None:
    await _advance(ctx, e.application_id, None, event="objection_resolved", objection_id=e.objection_id,
                   outcome=e.outcome.value, by=e.resolver_org, user=e.resolver_user, note=e.note)
    await ctx.conn.execute("UPDATE applications SET open_objections = greatest(open_objections - 1, 0) "
                           "WHERE application_id = $1", e.application_id)


async def on_verified(ctx: HandlerContext, e: ApplicationVerified) -> None:
    await _advance(ctx, e.application_id, "approved", amount_fen=e.amount_fen, rule_id=e.rule_id)


async def on_rejected(ctx: HandlerContext, e: ApplicationRejected) -> None:
    await _advance(ctx, e.application_id, "rejected", reasons=list(e.reasons), duplicate_of=e.duplicate_of)


async def on_transfer(ctx: HandlerContext, e: LedgerTransferPosted) -> None:
    if e.application_id and e.kind is TransferKind.GRANT:
        await _advance(ctx, e.application_id, "paid", transfer_id=e.transfer_id, fund=e.debit_account)


async def on_card_corrected(ctx: HandlerContext, e: BankCardCorrected) -> None:
    await _advance(ctx, e.application_id, "reissued", by=e.org_code, user=e.corrected_by_user)


async def on_settled(ctx: HandlerContext, e: PaymentSettled) -> None:
    await _advance(ctx, e.application_id, "settled", bank_reference=e.bank_reference)


async def on_failed(ctx: HandlerContext, e: PaymentFailed) -> None:
    await _advance(ctx, e.application_id, "payment_failed", reasons=[e.reason])


VIEW_COLUMNS = ("application_id, submission_id, org_code, status, amount_fen, reasons, history, submitted_at, "
                "filed_by_org, filed_by_user, open_objections, notice_ends_on")


async def application_view(pool: asyncpg.Pool, application_id: str) -> dict | None:
    """The application with its whole history, in the order things happened (events of several
    topics may arrive in another order)."""
    row = await pool.fetchrow(f"SELECT {VIEW_COLUMNS} FROM applications WHERE application_id = $1", application_id)
    if row is None:
        return None
    return {**dict(row), "history": sorted(row["history"], key=lambda entry: entry.get("at", ""))}


async def review_queue(pool: asyncpg.Pool, orgs: list[str]) -> list[dict]:
    """What waits for a person within these orgs: manual reviews, and notices with open objections."""
    rows = await pool.fetch(
        f"SELECT {VIEW_COLUMNS} FROM applications WHERE org_code = ANY($1) AND "
        "(status = 'manual_review' OR (status = 'in_notice' AND open_objections > 0)) ORDER BY submitted_at",
        orgs)
    return [dict(r) for r in rows]
