"""Disbursement's handlers: money in (allocations, donations), grants out, bank results."""

from __future__ import annotations

import asyncpg

from contracts.applications import ApplicationVerified
from contracts.funds import DonationReceived, FundAllocated
from contracts.ledger import PaymentFailed, PaymentRequested, PaymentSettled, TransferKind
from services.disbursement import ledger
from services.disbursement.domain import (
    INSUFFICIENT_FUNDS,
    SETTLED_ACCOUNT,
    DonationIntent,
    Transfer,
    allocation_debit_account,
    candidate_funds,
    choose_fund,
    fund_account,
    recipient_account,
)
from services.shared import outbox
from services.shared.consumer import HandlerContext, Rejected


async def on_fund_allocated(ctx: HandlerContext, e: FundAllocated) -> None:
    if not ctx.authority.tree.may_act(e.from_org, e.to_org):
        raise Rejected("org_out_of_scope", f"{e.from_org} may not allocate to {e.to_org}")
    await ledger.lock(ctx.conn)
    debit = allocation_debit_account(e.fund_source.value, e.from_org, e.to_org)
    if debit.startswith("fund:") and (await ledger.balances(ctx.conn, [debit])).get(debit, 0) < e.amount_fen:
        raise Rejected(INSUFFICIENT_FUNDS, f"{debit} cannot allocate {e.amount_fen} fen")
    transfer = Transfer(debit, fund_account(e.fund_source.value, e.to_org), e.amount_fen, TransferKind.ALLOCATION)
    await ledger.post(ctx.conn, [transfer], ctx.envelope)
    await pay_waiting(ctx)


async def on_donation_received(ctx: HandlerContext, e: DonationReceived) -> None:
    account = fund_account("donation", e.donation_id)
    await ctx.conn.execute(
        "INSERT INTO donations (donation_id, account, org_codes, stages, per_student_cap_fen) "
        "VALUES ($1, $2, $3, $4, $5)",
        e.donation_id, account, list(e.intent.org_codes), list(e.intent.stages), e.intent.per_student_cap_fen,
    )
    await ledger.lock(ctx.conn)
    await ledger.post(ctx.conn, [Transfer(f"donor:{e.donation_id}", account, e.amount_fen, TransferKind.DONATION)], ctx.envelope)
    await pay_waiting(ctx)


async def on_application_verified(ctx: HandlerContext, e: ApplicationVerified) -> None:
    if e.amount_fen == 0:
        return
    await ctx.conn.execute(
        "INSERT INTO payments (application_id, org_code, stage, amount_fen, fund_sources, bank_card, status, priority) "
        "VALUES ($1, $2, $3, $4, $5, $6, 'awaiting_funds', $7)",
        e.application_id, e.org_code, e.stage.value, e.amount_fen, list(e.fund_sources), e.bank_card, e.priority,
    )
    await ledger.lock(ctx.conn)
    await try_pay(ctx, await ctx.conn.fetchrow("SELECT * FROM payments WHERE application_id = $1", e.application_id))


async def try_pay(ctx: HandlerContext, payment: asyncpg.Record) -> bool:
    """Grant from the first fund that can afford it, or leave the payment waiting."""
    donations = [DonationIntent(r["account"], tuple(r["org_codes"]), tuple(r["stages"]), r["per_student_cap_fen"])
                 for r in await ctx.conn.fetch("SELECT * FROM donations ORDER BY donation_id")]
    candidates = candidate_funds(payment["fund_sources"], payment["org_code"], payment["stage"],
                                 payment["amount_fen"], donations)
    fund = choose_fund(candidates, await ledger.balances(ctx.conn, candidates), payment["amount_fen"])
    if fund is None:
        await ctx.conn.execute("UPDATE payments SET reason = $2 WHERE application_id = $1",
                               payment["application_id"], INSUFFICIENT_FUNDS)
        return False
    grant = Transfer(fund, recipient_account(payment["application_id"]), payment["amount_fen"],
                     TransferKind.GRANT, application_id=payment["application_id"])
    await ledger.post(ctx.conn, [grant], ctx.envelope)
    await ctx.conn.execute(
        "UPDATE payments SET status = 'instructed', reason = NULL, grant_transfer_id = $2, fund_account = $3, "
        "updated_at = clock_timestamp() WHERE application_id = $1",
        payment["application_id"], grant.transfer_id, fund,
    )
    request = PaymentRequested(application_id=payment["application_id"], transfer_id=grant.transfer_id,
                               amount_fen=payment["amount_fen"], bank_card=payment["bank_card"])
    envelope = request.to_envelope(source=ctx.source, orgcode=payment["org_code"],
                                   correlationid=ctx.envelope.correlationid, causationid=ctx.envelope.id)
    await outbox.enqueue(ctx.conn, request.TOPIC.name, request.key, envelope.to_bytes())
    return True


async def pay_waiting(ctx: HandlerContext) -> None:
    """New money arrived: pay what waits for funds, by priority, then first come first served."""
    for payment in await ctx.conn.fetch(
        "SELECT * FROM payments WHERE status = 'awaiting_funds' ORDER BY priority, requested_at"
    ):
        await try_pay(ctx, payment)


async def _instructed(ctx: HandlerContext, application_id: str, transfer_id: str) -> asyncpg.Record:
    payment = await ctx.conn.fetchrow(
        "SELECT * FROM payments WHERE application_id = $1 AND grant_transfer_id = $2", application_id, transfer_id
    )
    if payment is None or payment["status"] != "instructed":
        raise Rejected("unexpected_bank_result", f"{application_id}/{transfer_id} is not awaiting a bank result")
    return payment


async def on_payment_settled(ctx: HandlerContext, e: PaymentSettled) -> None:
    payment = await _instructed(ctx, e.application_id, e.transfer_id)
    await ledger.lock(ctx.conn)
    settlement = Transfer(recipient_account(e.application_id), SETTLED_ACCOUNT, payment["amount_fen"],
                          TransferKind.SETTLEMENT, application_id=e.application_id)
    await ledger.post(ctx.conn, [settlement], ctx.envelope)
    await ctx.conn.execute("UPDATE payments SET status = 'settled', updated_at = clock_timestamp() "
                           "WHERE application_id = $1", e.application_id)


async def on_payment_failed(ctx: HandlerContext, e: PaymentFailed) -> None:
    """The bank refused the card: the grant is reversed back into its fund; nothing is lost."""
    payment = await _instructed(ctx, e.application_id, e.transfer_id)
    await ledger.lock(ctx.conn)
    reversal = Transfer(recipient_account(e.application_id), payment["fund_account"], payment["amount_fen"],
                        TransferKind.REVERSAL, application_id=e.application_id, reverses=e.transfer_id)
    await ledger.post(ctx.conn, [reversal], ctx.envelope)
    await ctx.conn.execute("UPDATE payments SET status = 'failed', reason = $2, updated_at = clock_timestamp() "
                           "WHERE application_id = $1", e.application_id, e.reason)
    await pay_waiting(ctx)
