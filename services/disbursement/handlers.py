"""Disbursement's handlers: money in (allocations, donations), grants out, bank results."""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg

from contracts.applications import ApplicationVerified, GrantRevoked
from contracts.funds import DonationReceived, FundAllocated
from contracts.ledger import BankCardCorrected, PaymentFailed, PaymentRequested, PaymentSettled, TransferKind
from services.disbursement import ledger
from services.disbursement.domain import (
    INSUFFICIENT_FUNDS,
    SETTLED_ACCOUNT,
    Transfer,
    allocation_debit_account,
    candidate_funds,
    choose_fund,
    clawback_account,
    fund_account,
    recipient_account,
)
from services.shared import outbox
from services.shared.commands import first_time
from services.shared.consumer import HandlerContext
from services.shared.errors import Refused


async def on_fund_allocated(ctx: HandlerContext, e: FundAllocated) -> None:
    ctx.authority.require_scope(e.from_org, e.to_org)
    if not await first_time(ctx, f"allocation:{e.allocation_id}", e):
        return
    await ledger.lock(ctx.conn)
    debit = allocation_debit_account(e.fund_source.value, e.from_org, e.to_org)
    if debit.startswith("fund:"):
        balances, _ = await ledger.balances_and_donations(ctx.conn, [debit])
        if balances.get(debit, 0) < e.amount_fen:
            raise Refused(INSUFFICIENT_FUNDS, f"{debit}余额不足，无法拨出{e.amount_fen}分")
    transfer = Transfer(debit, fund_account(e.fund_source.value, e.to_org), e.amount_fen, TransferKind.ALLOCATION)
    await ledger.post(ctx.conn, [transfer], ctx.envelope, ctx.authority.seal)
    await pay_waiting(ctx)


async def on_donation_received(ctx: HandlerContext, e: DonationReceived) -> None:
    if not await first_time(ctx, f"donation:{e.donation_id}", e):
        return
    account = fund_account("donation", e.donation_id)
    await ctx.conn.execute(
        "INSERT INTO donations (donation_id, account, org_codes, stages, per_student_cap_fen) "
        "VALUES ($1, $2, $3, $4, $5)",
        e.donation_id, account, list(e.intent.org_codes), list(e.intent.stages), e.intent.per_student_cap_fen,
    )
    await ledger.lock(ctx.conn)
    await ledger.post(ctx.conn, [Transfer(f"donor:{e.donation_id}", account, e.amount_fen, TransferKind.DONATION)],
                      ctx.envelope, ctx.authority.seal)
    await pay_waiting(ctx)


def _payment(e: ApplicationVerified) -> dict:
    return {"application_id": e.application_id, "org_code": e.org_code, "stage": e.stage.value,
            "amount_fen": e.amount_fen, "fund_sources": list(e.fund_sources), "bank_card": e.bank_card,
            "priority": e.priority}


_SAVE_PAYMENT = """
    INSERT INTO payments (application_id, org_code, stage, amount_fen, fund_sources, bank_card, priority,
                          status, reason, grant_transfer_id, fund_account)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (application_id) DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason,
        grant_transfer_id = EXCLUDED.grant_transfer_id, fund_account = EXCLUDED.fund_account,
        bank_card = EXCLUDED.bank_card, updated_at = clock_timestamp()
"""
_FIELDS = ("application_id", "org_code", "stage", "amount_fen", "fund_sources", "bank_card", "priority")


async def pay(contexts_and_payments: list[tuple[HandlerContext, Mapping]]) -> None:
    """Grant each payment from the first fund that can afford it, in order, or leave it waiting
    for funds. One lock, one balance read, one ledger append, one save for the whole run; the
    caller holds the ledger lock."""
    conn = contexts_and_payments[0][0].conn
    own = {a for _, p in contexts_and_payments
           for a in candidate_funds(p["fund_sources"], p["org_code"], p["stage"], p["amount_fen"], [])}
    balances, donations = await ledger.balances_and_donations(conn, own)
    grants, saved, requests = [], [], []
    for ctx, p in contexts_and_payments:
        candidates = candidate_funds(p["fund_sources"], p["org_code"], p["stage"], p["amount_fen"], donations)
        fund = choose_fund(candidates, balances, p["amount_fen"])
        fields = [p[k] for k in _FIELDS]
        if fund is None:
            saved.append((*fields, "awaiting_funds", INSUFFICIENT_FUNDS, None, None))
            continue
        balances[fund] -= p["amount_fen"]
        grant = Transfer(fund, recipient_account(p["application_id"]), p["amount_fen"], TransferKind.GRANT,
                         application_id=p["application_id"])
        grants.append((grant, ctx.envelope))
        saved.append((*fields, "instructed", None, grant.transfer_id, fund))
        request = PaymentRequested(application_id=p["application_id"], transfer_id=grant.transfer_id,
                                   amount_fen=p["amount_fen"], bank_card=p["bank_card"])
        requests.append(ctx.authority.seal(request.to_envelope(
            source=ctx.source, orgcode=p["org_code"], correlationid=ctx.envelope.correlationid,
            causationid=ctx.envelope.id)))
    if grants:
        await ledger.post_caused(conn, grants, contexts_and_payments[0][0].authority.seal)
    await conn.executemany(_SAVE_PAYMENT, saved)
    if requests:
        await conn.execute(
            "INSERT INTO outbox (topic, key, payload, headers) SELECT $1, k, p, $4::jsonb "
            "FROM unnest($2::text[], $3::bytea[]) AS o(k, p)",
            PaymentRequested.TOPIC.name, [r.subject for r in requests], [r.to_bytes() for r in requests],
            outbox.headers_now())


async def on_applications_verified(items: list[tuple[HandlerContext, ApplicationVerified]]) -> None:
    """Pay each approval once: a second approval of an application already paid or waiting
    (a replay under a new event id) is refused, and goes to the dead-letter topic alone."""
    payable = [(ctx, _payment(e)) for ctx, e in items if e.amount_fen > 0]
    ids = [p["application_id"] for _, p in payable]
    known = {r["application_id"] for r in await items[0][0].conn.fetch(
        "SELECT application_id FROM payments WHERE application_id = ANY($1)", ids)} if ids else set()
    if known or len(set(ids)) < len(ids):
        raise Refused("already_approved_for_payment", f"申请{sorted(known) or ids}已批准付款，不重复付款")
    if payable:
        await ledger.lock(payable[0][0].conn)
        await pay(payable)


async def pay_waiting(ctx: HandlerContext) -> None:
    """New money arrived: pay what waits for funds, by priority, then first come first served."""
    waiting = await ctx.conn.fetch("SELECT * FROM payments WHERE status = 'awaiting_funds' ORDER BY priority, requested_at")
    if waiting:
        await pay([(ctx, payment) for payment in waiting])


async def _answered(ctx: HandlerContext, e: PaymentSettled | PaymentFailed, status: str) -> asyncpg.Record | None:
    """Record the bank's answer on the payment it belongs to (None for a repeat of an answer
    already recorded); any other answer is refused."""
    if not await first_time(ctx, f"bank_result:{e.transfer_id}", e):
        return None
    await ledger.lock(ctx.conn)
    payment = await ctx.conn.fetchrow(
        "UPDATE payments SET status = $3, reason = $4, updated_at = clock_timestamp() "
        "WHERE application_id = $1 AND grant_transfer_id = $2 AND status = 'instructed' "
        "RETURNING amount_fen, fund_account, revoke_pending",
        e.application_id, e.transfer_id, status, getattr(e, "reason", None))
    if payment is None:
        raise Refused("unexpected_bank_result", f"{e.application_id}/{e.transfer_id}没有待银行回复的付款")
    return payment


async def on_payment_settled(ctx: HandlerContext, e: PaymentSettled) -> None:
    payment = await _answered(ctx, e, "settled")
    if payment is None:
        return
    settlement = Transfer(recipient_account(e.application_id), SETTLED_ACCOUNT, payment["amount_fen"],
                          TransferKind.SETTLEMENT, application_id=e.application_id)
    transfers = [settlement, _revocation(e.application_id, e.transfer_id, payment)] if payment["revoke_pending"] \
        else [settlement]
    await ledger.post(ctx.conn, transfers, ctx.envelope, ctx.authority.seal)
    if payment["revoke_pending"]:
        await _mark_revoked(ctx, e.application_id)


async def on_payment_failed(ctx: HandlerContext, e: PaymentFailed) -> None:
    """The bank refused the card: the grant is reversed back into its fund; nothing is lost."""
    payment = await _answered(ctx, e, "failed")
    if payment is None:
        return
    await ledger.post(ctx.conn, [_reversal(e.application_id, e.transfer_id, payment)], ctx.envelope,
                      ctx.authority.seal)
    if payment["revoke_pending"]:
        await _mark_revoked(ctx, e.application_id)
    await pay_waiting(ctx)


def _reversal(application_id: str, grant_id: str, payment: Mapping) -> Transfer:
    return Transfer(recipient_account(application_id), payment["fund_account"], payment["amount_fen"],
                    TransferKind.REVERSAL, application_id=application_id, reverses=grant_id)


def _revocation(application_id: str, grant_id: str, payment: Mapping) -> Transfer:
    """The correcting entry for a settled grant that was revoked: the amount paid out is now owed
    back by the recipient; the fund is credited only when it is repaid."""
    return Transfer(SETTLED_ACCOUNT, clawback_account(application_id), payment["amount_fen"],
                    TransferKind.REVOCATION, application_id=application_id, reverses=grant_id)


async def _mark_revoked(ctx: HandlerContext, application_id: str) -> None:
    await ctx.conn.execute("UPDATE payments SET status = 'revoked', revoke_pending = false, "
                           "updated_at = clock_timestamp() WHERE application_id = $1", application_id)


async def on_grant_revoked(ctx: HandlerContext, e: GrantRevoked) -> None:
    """Withdraw a grant after an upheld complaint, wherever its payment stands: unpaid or refused
    by the bank → revoked; at the bank → revoked when the bank answers; settled → a correcting
    revocation entry. A grant never approved for payment (nothing to pay) has nothing to undo."""
    await ledger.lock(ctx.conn)
    payment = await ctx.conn.fetchrow("SELECT * FROM payments WHERE application_id = $1 FOR UPDATE",
                                      e.application_id)
    if payment is None or payment["status"] == "revoked":
        return
    if payment["status"] == "instructed":
        await ctx.conn.execute("UPDATE payments SET revoke_pending = true WHERE application_id = $1",
                               e.application_id)
        return
    if payment["status"] == "settled":
        revocation = _revocation(e.application_id, str(payment["grant_transfer_id"]), payment)
        await ledger.post(ctx.conn, [revocation], ctx.envelope, ctx.authority.seal)
    await _mark_revoked(ctx, e.application_id)


async def on_bank_card_corrected(ctx: HandlerContext, e: BankCardCorrected) -> None:
    """A refused payment is issued again, from whichever fund can pay it now, to the new card."""
    await ledger.lock(ctx.conn)
    payment = await ctx.conn.fetchrow(
        "UPDATE payments SET bank_card = $2 WHERE application_id = $1 AND status = 'failed' RETURNING *",
        e.application_id, e.bank_card)
    if payment is None:
        raise Refused("wrong_state", f"申请{e.application_id}没有被银行退回的付款，无需更正银行卡")
    await pay([(ctx, payment)])
