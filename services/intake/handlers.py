"""Intake's use cases: file an application; follow its decision and payment into the read model."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from contracts.applications import ApplicationRejected, ApplicationVerified
from contracts.ledger import LedgerTransferPosted, PaymentFailed, PaymentSettled, TransferKind
from services.intake.domain import ApplicationForm, submit
from services.shared import eventstore
from services.shared.consumer import HandlerContext

SOURCE = "/jinqiu/intake"


@dataclass(frozen=True)
class Filed:
    application_id: str
    created: bool


async def file_application(pool: asyncpg.Pool, form: ApplicationForm, correlation_id: str) -> Filed:
    """Store and emit ApplicationSubmitted once per (org, submission id)."""
    event = submit(form)
    async with pool.acquire() as conn, conn.transaction():
        inserted = await conn.fetchval(
            "INSERT INTO applications (application_id, submission_id, org_code, status, history) "
            "VALUES ($1, $2, $3, 'submitted', $4) ON CONFLICT DO NOTHING RETURNING 1",
            event.application_id, form.submission_id, form.org_code,
            [{"status": "submitted", "by": form.org_code}],
        )
        if inserted is None:
            return Filed(event.application_id, created=False)
        await eventstore.record(
            conn, f"application-{event.application_id}", 0, [event],
            source=SOURCE, orgcode=form.org_code, correlationid=correlation_id,
        )
    return Filed(event.application_id, created=True)


async def _advance(conn: asyncpg.Connection, application_id: str, status: str, **fields: object) -> None:
    entry = [{"status": status, **fields}]
    await conn.execute(
        "UPDATE applications SET status = $2, history = history || $3::jsonb, "
        "amount_fen = COALESCE($4, amount_fen), reasons = COALESCE($5, reasons) "
        "WHERE application_id = $1",
        application_id, status, entry, fields.get("amount_fen"), fields.get("reasons"),
    )


async def on_verified(ctx: HandlerContext, e: ApplicationVerified) -> None:
    await _advance(ctx.conn, e.application_id, "approved", amount_fen=e.amount_fen, rule_id=e.rule_id)


async def on_rejected(ctx: HandlerContext, e: ApplicationRejected) -> None:
    await _advance(ctx.conn, e.application_id, "rejected", reasons=list(e.reasons))


async def on_transfer(ctx: HandlerContext, e: LedgerTransferPosted) -> None:
    if e.application_id and e.kind is TransferKind.GRANT:
        await _advance(ctx.conn, e.application_id, "paid", transfer_id=e.transfer_id, fund=e.debit_account)


async def on_settled(ctx: HandlerContext, e: PaymentSettled) -> None:
    await _advance(ctx.conn, e.application_id, "settled", bank_reference=e.bank_reference)


async def on_failed(ctx: HandlerContext, e: PaymentFailed) -> None:
    await _advance(ctx.conn, e.application_id, "payment_failed", reasons=[e.reason])


async def application_view(pool: asyncpg.Pool, application_id: str) -> dict | None:
    row = await pool.fetchrow(
        "SELECT application_id, submission_id, org_code, status, amount_fen, reasons, history, "
        "submitted_at FROM applications WHERE application_id = $1",
        application_id,
    )
    return dict(row) if row else None
