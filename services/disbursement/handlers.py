"""Disbursement's handlers: money in (allocations, donations), grants out, bank results."""

from __future__ import annotations

from contracts.applications import ApplicationVerified, GrantRevoked
from contracts.employment import SubsidyApproved
from contracts.funds import DonationReceived, FundAllocated
from contracts.ledger import (
    BankCardCorrected,
    GrantRepaid,
    PaymentFailed,
    PaymentRequested,
    PaymentSettled,
    TransferKind,
)
from services.disbursement import ledger, payments
from services.disbursement.domain import (
    INSUFFICIENT_FUNDS,
    SETTLED_ACCOUNT,
    DonationIntent,
    GrantInstructed,
    Payment,
    Transfer,
    allocation_debit_account,
    allot,
    candidate_funds,
    clawback_account,
    fund_account,
    recipient_account,
)
from services.shared.commands import first_time
from services.shared.consumer import HandlerContext, Many
from services.shared.errors import Refused
from services.shared.eventstore import ConcurrencyError


async def on_fund_allocated(ctx: HandlerContext, e: FundAllocated) -> None:
    ctx.authority.require_scope(e.from_org, e.to_org)
    if not await first_time(ctx, f"allocation:{e.allocation_id}", e):
        return
    debit = allocation_debit_account(e.fund_source.value, e.from_org, e.to_org)
    transfer = Transfer(debit, fund_account(e.fund_source.value, e.to_org), e.amount_fen, TransferKind.ALLOCATION)
    balances = await ledger.balances(ctx.conn, [debit, transfer.credit_account])
    if debit in balances and balances[debit] < e.amount_fen:
        raise Refused(INSUFFICIENT_FUNDS, f"{debit}余额不足，无法拨出{e.amount_fen}分")
    await ledger.post(ctx.conn, [transfer], ctx.envelope)
    await pay_waiting(ctx, transfer.credit_account)


async def on_donation_received(ctx: HandlerContext, e: DonationReceived) -> None:
    if not await first_time(ctx, f"donation:{e.donation_id}", e):
        return
    account = fund_account("donation", e.donation_id)
    await ctx.conn.execute(
        "INSERT INTO donations (donation_id, account, org_codes, stages, per_student_cap_fen) "
        "VALUES ($1, $2, $3, $4, $5)",
        e.donation_id, account, list(e.intent.org_codes), list(e.intent.stages), e.intent.per_student_cap_fen,
    )
    await ledger.post(ctx.conn, [Transfer(f"donor:{e.donation_id}", account, e.amount_fen, TransferKind.DONATION)],
                      ctx.envelope)
    await pay_waiting(ctx, account)


async def pay(changes: list[payments.Change]) -> None:
    """Grant each payment from the first fund that can afford it, in order, or leave it waiting
    for funds. Decided on balances read without locks, as far down each payment's order as
    needed (`allot`); then, last before the posting, the funds read are locked and the decision
    must come out the same on them, or the batch is decided again (ConcurrencyError). So a fund
    row is locked only for the posting and the commit, and instances paying from the same funds
    overlap everywhere else. One posting and one save for the whole run."""
    conn = changes[0][0].conn
    donations = await ledger.donation_intents(conn)
    wants = [(_candidates(p, donations), p.approval.amount_fen) for _, _, p, _ in changes]
    known = await ledger.peek(conn, {candidates[0] for candidates, _ in wants if candidates})
    funds, unknown = allot(wants, known)
    while unknown:
        known |= await ledger.peek(conn, unknown)
        funds, unknown = allot(wants, known)
    grants, saved = [], []
    for (ctx, stored, p, events), fund in zip(changes, funds, strict=True):
        a = p.approval
        if fund is None:
            saved.append((ctx, stored, p, events))
            continue
        grant = Transfer(fund, recipient_account(p.application_id), a.amount_fen, p.kind,
                         application_id=p.application_id)
        grants.append((grant, ctx.envelope))
        instructed = GrantInstructed(application_id=p.application_id, transfer_id=grant.transfer_id,
                                     fund_account=fund, amount_fen=a.amount_fen)
        request = PaymentRequested(application_id=p.application_id, transfer_id=grant.transfer_id,
                                   amount_fen=a.amount_fen, bank_card=p.bank_card)
        saved.append((ctx, stored, p.apply(instructed).apply(request), [*events, instructed, request]))
    await payments.save(saved)
    locked = await ledger.balances(conn, known)
    if None in funds:  # some wait: in turn with money arriving, and no donor's fund may have come meanwhile
        await ledger.hold_waiting_line(conn)
        donations_now = await ledger.donation_intents(conn)
    if allot(wants, locked) != (funds, set()) or (None in funds and donations_now != donations):
        raise ConcurrencyError("另一实例同时动用了这些资金，本批重新决定 (funds_changed)")
    if grants:
        await ledger.post_caused(conn, grants)


def _candidates(p: Payment, donations: list[DonationIntent]) -> list[str]:
    a = p.approval
    return candidate_funds(a.fund_sources, a.org_code, a.stage.value, a.amount_fen, donations)


async def on_applications_verified(items: list[tuple[HandlerContext, ApplicationVerified]]) -> None:
    """Pay each approval once: a second approval of an application already paid or waiting
    (a replay under a new event id) is refused, and goes to the dead-letter topic alone."""
    payable = [(ctx, e) for ctx, e in items if e.amount_fen > 0]
    ids = [e.application_id for _, e in payable]
    known = {r["application_id"] for r in await items[0][0].conn.fetch(
        "SELECT application_id FROM payments WHERE application_id = ANY($1)", ids)} if ids else set()
    if known or len(set(ids)) < len(ids):
        raise Refused("already_approved_for_payment", f"申请{sorted(known) or ids}已批准付款，不重复付款")
    if payable:
        await pay([(ctx, 0, Payment.fold([e]), [e]) for ctx, e in payable])


async def on_subsidy_approved(ctx: HandlerContext, e: SubsidyApproved) -> None:
    """An employment subsidy is paid once, like a grant: from the paying union's central
    assistance fund (or its city's), or it waits for funds."""
    if not await first_time(ctx, f"subsidy:{e.subsidy_id}", e):
        return
    await pay([(ctx, 0, Payment.fold([e]), [e])])


async def pay_waiting(ctx: HandlerContext, fund: str) -> None:
    """New money arrived in `fund`: pay what waits and may be paid from it, by priority, then
    first come first served. Only those: with thousands waiting and a reversal now and then,
    loading every waiting payment each time grew with the square of the season."""
    await ledger.hold_waiting_line(ctx.conn)
    _, source, holder = fund.split(":", 2)
    waiting = [r["application_id"] for r in await ctx.conn.fetch(
        "SELECT application_id FROM payments WHERE status = 'awaiting_funds' AND $1 = ANY(fund_sources) "
        "AND ($1 = 'donation' OR org_code = $2 OR left(org_code, 4) || '00' = $2) ORDER BY priority, requested_at",
        source, holder)]
    if not waiting:
        return
    loaded = await payments.load(ctx.conn, waiting)
    donations = await ledger.donation_intents(ctx.conn)
    payable = [loaded[a] for a in waiting if fund in _candidates(loaded[a], donations)]
    if payable:
        await pay([(ctx, p.version, p, []) for p in payable])


async def _payment(ctx: HandlerContext, application_id: str) -> Payment | None:
    return (await payments.load(ctx.conn, [application_id])).get(application_id)


async def _answered(ctx: HandlerContext, e: PaymentSettled | PaymentFailed) -> Payment | None:
    """The payment the bank's answer belongs to (None for a repeat of an answer already
    recorded); any other answer is refused."""
    if not await first_time(ctx, f"bank_result:{e.transfer_id}", e):
        return None
    payment = await _payment(ctx, e.application_id)
    if payment is None:
        raise Refused("unexpected_bank_result", f"{e.application_id}/{e.transfer_id}没有待银行回复的付款")
    payment.answered(e.transfer_id)
    return payment


async def _settled(items: list[tuple[HandlerContext, PaymentSettled]]) -> None:
    """The bank's settlements of a run at once: one load, one posting and one save for the run
    (the busiest answer of the season: one at a time, five round trips each)."""
    fresh = [(ctx, e) for ctx, e in items if await first_time(ctx, f"bank_result:{e.transfer_id}", e)]
    if not fresh:
        return
    conn = fresh[0][0].conn
    loaded = await payments.load(conn, [e.application_id for _, e in fresh])
    caused, saved = [], []
    for ctx, e in fresh:
        payment = loaded.get(e.application_id)
        if payment is None:
            raise Refused("unexpected_bank_result", f"{e.application_id}/{e.transfer_id}没有待银行回复的付款")
        payment.answered(e.transfer_id)
        caused.append((Transfer(recipient_account(e.application_id), SETTLED_ACCOUNT, payment.approval.amount_fen,
                                TransferKind.SETTLEMENT, application_id=e.application_id), ctx.envelope))
        if payment.revoke_pending:
            caused.append((_revocation(payment), ctx.envelope))
        loaded[e.application_id] = payment.apply(e)
        saved.append((ctx, payment.version, loaded[e.application_id], [e]))
    await ledger.post_caused(conn, caused)
    await payments.save(saved)


on_payments_settled = Many(_settled)


async def on_payment_failed(ctx: HandlerContext, e: PaymentFailed) -> None:
    """The bank refused the card: the grant is reversed back into its fund; nothing is lost."""
    payment = await _answered(ctx, e)
    if payment is None:
        return
    reversal = Transfer(recipient_account(e.application_id), payment.fund_account, payment.approval.amount_fen,
                        TransferKind.REVERSAL, application_id=e.application_id, reverses=e.transfer_id)
    await ledger.post(ctx.conn, [reversal], ctx.envelope)
    await payments.save([(ctx, payment.version, payment.apply(e), [e])])
    await pay_waiting(ctx, reversal.credit_account)


def _revocation(payment: Payment) -> Transfer:
    """The correcting entry for a settled grant that was revoked: the amount paid out is now owed
    back by the recipient; the fund is credited only when it is repaid."""
    return Transfer(SETTLED_ACCOUNT, clawback_account(payment.application_id), payment.approval.amount_fen,
                    TransferKind.REVOCATION, application_id=payment.application_id,
                    reverses=payment.grant_transfer_id)


async def on_grant_revoked(ctx: HandlerContext, e: GrantRevoked) -> None:
    """Withdraw a grant after an upheld complaint, wherever its payment stands: unpaid or refused
    by the bank → revoked; at the bank → revoked when the bank answers; settled → a correcting
    revocation entry. A grant never approved for payment (nothing to pay) has nothing to undo."""
    payment = await _payment(ctx, e.application_id)
    if payment is None or payment.status == "revoked":
        return
    if payment.status == "settled":
        await ledger.post(ctx.conn, [_revocation(payment)], ctx.envelope)
    await payments.save([(ctx, payment.version, payment.apply(e), [e])])


async def on_grant_repaid(ctx: HandlerContext, e: GrantRepaid) -> None:
    """Money owed back after a revoked, settled grant comes back into the fund that paid it, at
    most what is still owed; the fund can then pay what waits."""
    if not await first_time(ctx, f"repayment:{e.repayment_id}", e):
        return
    payment = await _payment(ctx, e.application_id)
    owed_account = clawback_account(e.application_id)
    balances = await ledger.balances(ctx.conn, [owed_account])
    owed = balances.get(owed_account, 0)
    if payment is None or payment.status != "revoked" or e.amount_fen > owed:
        raise Refused("repayment_exceeds_debt", f"申请{e.application_id}尚欠{owed}分，不能登记还款{e.amount_fen}分")
    repayment = Transfer(owed_account, payment.fund_account, e.amount_fen, TransferKind.REPAYMENT,
                         application_id=e.application_id)
    await ledger.post(ctx.conn, [repayment], ctx.envelope)
    await payments.save([(ctx, payment.version, payment.apply(e), [e])])
    await pay_waiting(ctx, repayment.credit_account)


async def on_bank_card_corrected(ctx: HandlerContext, e: BankCardCorrected) -> None:
    """A refused payment is issued again, from whichever fund can pay it now, to the new card."""
    payment = await _payment(ctx, e.application_id)
    if payment is None:
        raise Refused("wrong_state", f"申请{e.application_id}没有被银行退回的付款，无需更正银行卡")
    payment.correctable()
    await pay([(ctx, payment.version, payment.apply(e), [e])])
