"""Verification's handlers: the registry projection, the review of each application once,
manual review, public notice with objections, and the clock that ends notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import asyncpg

from contracts.applications import ApplicationRejected, ApplicationSubmitted, ApplicationVerified
from contracts.base import Event
from contracts.households import (
    GigWorkerRegistered,
    HardshipFileClosed,
    HardshipFileOpened,
    HouseholdCheckAuthorizationRevoked,
    HouseholdCheckAuthorizationSigned,
    HouseholdCheckCompleted,
    WarmthVisitRecorded,
)
from contracts.reviews import (
    ClockTicked,
    ManualReviewDecided,
    ObjectionOutcome,
    ObjectionRaised,
    ObjectionResolved,
    ReviewOutcome,
)
from services.shared import eventstore, outbox
from services.shared.commands import first_time
from services.shared.consumer import HandlerContext
from services.shared.errors import Refused
from services.shared.policy import PolicyBook
from services.verification.domain import (
    NO_POLICY_VERSION,
    HouseholdFacts,
    advance_clock,
    decision_inputs,
    notice,
    review,
)

DUPLICATE_OF = "duplicate_of"
OBJECTION_UPHELD = "objection_upheld"
MANUAL_REVIEW_REJECTED = "manual_review_rejected"


# --- registry -------------------------------------------------------------------------------

async def on_hardship_file_opened(ctx: HandlerContext, e: HardshipFileOpened) -> None:
    await ctx.conn.execute(
        "INSERT INTO hardship_files (household_id, org_code, kind, status, opened_on, members) "
        "VALUES ($1, $2, $3, 'open', $4, $5) ON CONFLICT (household_id) DO UPDATE "
        "SET status = 'open', opened_on = EXCLUDED.opened_on, closed_on = NULL, members = EXCLUDED.members",
        e.household_id, e.org_code, e.kind.value, e.opened_on, list(e.member_id_numbers),
    )


async def on_hardship_file_closed(ctx: HandlerContext, e: HardshipFileClosed) -> None:
    await ctx.conn.execute(
        "UPDATE hardship_files SET status = 'closed', closed_on = $2 WHERE household_id = $1",
        e.household_id, e.closed_on,
    )


async def on_authorization_signed(ctx: HandlerContext, e: HouseholdCheckAuthorizationSigned) -> None:
    await ctx.conn.execute(
        "INSERT INTO authorizations (household_id, org_code, signed_on, signatories, signatory_ids) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (household_id) DO UPDATE SET signed_on = EXCLUDED.signed_on, "
        "signatories = EXCLUDED.signatories, signatory_ids = EXCLUDED.signatory_ids, revoked_on = NULL",
        e.household_id, e.org_code, e.signed_on, len(e.signatory_id_numbers), list(e.signatory_id_numbers),
    )


async def on_authorization_revoked(ctx: HandlerContext, e: HouseholdCheckAuthorizationRevoked) -> None:
    await ctx.conn.execute("UPDATE authorizations SET revoked_on = $2 WHERE household_id = $1",
                           e.household_id, e.revoked_on)


async def on_household_checked(ctx: HandlerContext, e: HouseholdCheckCompleted) -> None:
    await ctx.conn.execute(
        "INSERT INTO household_checks VALUES ($1, $2, $3) ON CONFLICT (household_id) DO UPDATE "
        "SET checked_on = EXCLUDED.checked_on, passed = EXCLUDED.passed", e.household_id, e.checked_on, e.passed)


async def on_warmth_visit(ctx: HandlerContext, e: WarmthVisitRecorded) -> None:
    await ctx.conn.execute("INSERT INTO warmth_visits VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           e.household_id, e.visited_on)


async def on_gig_worker(ctx: HandlerContext, e: GigWorkerRegistered) -> None:
    await ctx.conn.execute("INSERT INTO gig_workers VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                           e.household_id, e.worker_kind.value, e.registered_on)


async def household_facts(conn: asyncpg.Connection, household_id: str | None, year: int,
                          in_scope: Callable[[str], bool]) -> tuple[HouseholdFacts, dt.date | None]:
    """What the registry knows of the household, and the campaign date, in one query."""
    row = await conn.fetchrow(
        """SELECT f.status, f.members, f.org_code AS file_org, a.signed_on,
                  (SELECT today FROM clock WHERE name = 'campaign') AS today,
                  CASE WHEN a.household_id IS NOT NULL AND a.revoked_on IS NULL THEN a.signatory_ids END AS signed,
                  c.passed,
                  EXISTS (SELECT 1 FROM warmth_visits w WHERE w.household_id = $1
                          AND extract(year FROM w.visited_on) >= $2 - 1) AS visited,
                  EXISTS (SELECT 1 FROM gig_workers g WHERE g.household_id = $1) AS gig
           FROM (SELECT 1) one
           LEFT JOIN hardship_files f ON f.household_id = $1
           LEFT JOIN authorizations a ON a.household_id = $1
           LEFT JOIN household_checks c ON c.household_id = $1""",
        household_id, year,
    )
    facts = HouseholdFacts(
        hardship_file=row["status"], file_members=tuple(row["members"] or ()),
        signatories=tuple(row["signed"]) if row["signed"] is not None else None,
        check_passed=row["passed"], warmth_visited=row["visited"], gig_worker=row["gig"],
        file_in_scope=row["file_org"] is None or in_scope(row["file_org"]), signed_on=row["signed_on"],
        reviewed_on=row["today"],
    )
    return (facts if household_id is not None else HouseholdFacts()), row["today"]


# --- decisions ------------------------------------------------------------------------------

async def _transition(ctx: HandlerContext, application_id: str, status: str | None, event: Event,
                      **columns: object) -> None:
    """Move the review (status and other columns) and append its event, in two statements."""
    sets = "".join(f", {name} = ${i}" for i, name in enumerate(columns, start=3))
    version = await ctx.conn.fetchval(
        f"UPDATE reviews SET status = COALESCE($2, status), version = version + 1{sets} "
        "WHERE application_id = $1 RETURNING version", application_id, status, *columns.values())
    await eventstore.record(ctx.conn, f"review-{application_id}", version - 1, [event],
                            source=ctx.source, cause=ctx.envelope, seal=ctx.authority.seal)


async def _record_decisions(conn: asyncpg.Connection, decisions: list[ApplicationVerified | ApplicationRejected]) -> None:
    """Decisions as rows; a rejected filing gives up its aid slot, so a corrected one may take it."""
    released = [d.application_id for d in decisions if isinstance(d, ApplicationRejected) and not d.duplicate_of]
    if released:
        await conn.execute("DELETE FROM aid_slots WHERE application_id = ANY($1)", released)
    rows = []
    for d in decisions:
        approved = isinstance(d, ApplicationVerified)
        rows.append((d.application_id, d.org_code, "approved" if approved else "rejected",
                     d.amount_fen if approved else 0, list(d.fund_sources) if approved else [], d.rule_id,
                     d.policy_version, [] if approved else list(d.reasons), None if approved else d.duplicate_of))
    await conn.executemany(
        "INSERT INTO decisions (application_id, org_code, decision, amount_fen, fund_sources, rule_id, "
        "policy_version, reasons, duplicate_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", rows)


async def _decide(ctx: HandlerContext, decision: ApplicationVerified | ApplicationRejected) -> None:
    await _record_decisions(ctx.conn, [decision])
    status = "approved" if isinstance(decision, ApplicationVerified) else "rejected"
    await _transition(ctx, decision.application_id, status, decision)


def application_reviewer(book: PolicyBook):
    async def on_application_submitted(ctx: HandlerContext, e: ApplicationSubmitted) -> None:
        policy = book.find(e.org_code, e.campaign_year)
        first = await ctx.conn.fetchval(
            "INSERT INTO aid_slots VALUES ($1, $2, $3, $4) ON CONFLICT (student_key, campaign_year, aid_group) "
            "DO UPDATE SET application_id = aid_slots.application_id RETURNING application_id",
            e.student_key, e.campaign_year, policy.aid_group(e.program) if policy else e.program.value,
            e.application_id,
        )
        tree = ctx.authority.tree
        facts, today = await household_facts(ctx.conn, e.household_id, e.campaign_year,
                                              lambda file_org: tree.on_one_line(file_org, e.org_code))
        if first != e.application_id:
            outcome = ApplicationRejected(
                application_id=e.application_id, org_code=e.org_code, reasons=(DUPLICATE_OF,),
                policy_version=policy.version if policy else NO_POLICY_VERSION, duplicate_of=first,
                inputs=decision_inputs(e, facts))
        else:
            outcome = review(e, facts, policy)
        await ctx.conn.execute(
            "INSERT INTO reviews (application_id, org_code, filed_by_org, filed_by_user, status, notice_days, "
            "category, program, stage, correlation_id, trace_headers) "
            "VALUES ($1, $2, $3, $4, 'submitted', $5, $6, $7, $8, $9, $10)",
            e.application_id, e.org_code, e.filed_by_org, e.filed_by_user, policy.notice_days if policy else None,
            e.category.value, e.program.value, e.student.stage.value, ctx.envelope.correlationid,
            outbox.headers_now(),
        )
        if isinstance(outcome, ApplicationRejected):
            await _decide(ctx, outcome)
        elif outcome.manual_review:
            await _transition(ctx, e.application_id, "manual_review", outcome.manual_review,
                              entitlement=outcome.verified.model_dump(mode="json"))
        else:
            published = notice(outcome.verified, today or ctx.envelope.time.date(), policy.notice_days)
            await _transition(ctx, e.application_id, "in_notice", published,
                              entitlement=outcome.verified.model_dump(mode="json"), notice_ends_on=published.ends_on)

    return on_application_submitted


async def _today(conn: asyncpg.Connection, fallback: dt.date) -> dt.date:
    return await conn.fetchval("SELECT today FROM clock WHERE name = 'campaign'") or fallback


# --- people and time ------------------------------------------------------------------------

async def _review_row(ctx: HandlerContext, application_id: str, status: str) -> asyncpg.Record:
    row = await ctx.conn.fetchrow("SELECT * FROM reviews WHERE application_id = $1 FOR UPDATE", application_id)
    if row is None or row["status"] != status:
        raise Refused("wrong_state", f"申请{application_id}当前不处于{status}状态")
    return row


def _not_the_filer(row: asyncpg.Record, org: str, user: str, ctx: HandlerContext) -> None:
    if (row["filed_by_org"], row["filed_by_user"]) == (org, user):
        raise Refused("filer_cannot_decide", "申报人不能审批或处理本人申报的申请")
    if not ctx.authority.tree.may_act(org, row["org_code"]):
        raise Refused("org_out_of_scope", f"{org}无权处理{row['org_code']}的申请")


async def on_manual_review_decided(ctx: HandlerContext, e: ManualReviewDecided) -> None:
    if not await first_time(ctx, f"manual_review:{e.application_id}", e):
        return
    row = await _review_row(ctx, e.application_id, "manual_review")
    _not_the_filer(row, e.reviewer_org, e.reviewer_user, ctx)
    if e.outcome is ReviewOutcome.APPROVE:
        verified = ApplicationVerified.model_validate(row["entitlement"])
        published = notice(verified, await _today(ctx.conn, ctx.envelope.time.date()), row["notice_days"])
        await _transition(ctx, e.application_id, "in_notice", published, notice_ends_on=published.ends_on)
    else:
        verified = ApplicationVerified.model_validate(row["entitlement"])
        await _decide(ctx, ApplicationRejected(application_id=e.application_id, org_code=row["org_code"],
                                               reasons=(MANUAL_REVIEW_REJECTED,), policy_version=verified.policy_version,
                                               rule_id=verified.rule_id, inputs=verified.inputs))


async def on_objection_raised(ctx: HandlerContext, e: ObjectionRaised) -> None:
    if not await first_time(ctx, f"objection:{e.objection_id}", e):
        return
    row = await _review_row(ctx, e.application_id, "in_notice")
    if not ctx.authority.tree.on_one_line(e.org_code, row["org_code"]):
        raise Refused("org_out_of_scope", f"{e.org_code}无权登记{row['org_code']}申请的异议")
    await ctx.conn.execute("INSERT INTO objections VALUES ($1, $2, 'open', $3, $4)",
                           e.objection_id, e.application_id, e.org_code, e.summary)
    await ctx.conn.execute("UPDATE reviews SET open_objections = open_objections + 1 WHERE application_id = $1",
                           e.application_id)


async def on_objection_resolved(ctx: HandlerContext, e: ObjectionResolved) -> None:
    if not await first_time(ctx, f"objection_resolution:{e.objection_id}", e):
        return
    row = await _review_row(ctx, e.application_id, "in_notice")
    _not_the_filer(row, e.resolver_org, e.resolver_user, ctx)
    updated = await ctx.conn.execute(
        "UPDATE objections SET status = $2 WHERE objection_id = $1 AND application_id = $3 AND status = 'open'",
        e.objection_id, e.outcome.value, e.application_id)
    if updated == "UPDATE 0":
        raise Refused("objection_not_open", f"异议{e.objection_id}不存在或已处理")
    await ctx.conn.execute("UPDATE reviews SET open_objections = open_objections - 1 WHERE application_id = $1",
                           e.application_id)
    verified = ApplicationVerified.model_validate(row["entitlement"])
    if e.outcome is ObjectionOutcome.UPHELD:
        await _decide(ctx, ApplicationRejected(application_id=e.application_id, org_code=row["org_code"],
                                               reasons=(OBJECTION_UPHELD,), policy_version=verified.policy_version,
                                               rule_id=verified.rule_id, inputs=verified.inputs))
    else:
        await close_notices(ctx, await _today(ctx.conn, ctx.envelope.time.date()))


def clock_ticker(max_jump_days: int) -> Callable[[HandlerContext, ClockTicked], Awaitable[None]]:
    async def on_clock_ticked(ctx: HandlerContext, e: ClockTicked) -> None:
        current = await ctx.conn.fetchval("SELECT today FROM clock WHERE name = $1 FOR UPDATE", e.clock)
        today = advance_clock(current, e.today, max_jump_days)
        await ctx.conn.execute(
            "INSERT INTO clock VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET today = $2", e.clock, today)
        await close_notices(ctx, today)
    return on_clock_ticked


async def close_notices(ctx: HandlerContext, today: dt.date) -> None:
    """Every notice that ended with no open objection becomes approved for payment, all at once."""
    rows = await ctx.conn.fetch(
        "UPDATE reviews SET status = 'approved', version = version + 1 "
        "WHERE status = 'in_notice' AND notice_ends_on < $1 AND open_objections = 0 "
        "RETURNING application_id, entitlement, version, correlation_id, trace_headers", today)
    decisions = [ApplicationVerified.model_validate(r["entitlement"]) for r in rows]
    await _record_decisions(ctx.conn, decisions)
    await eventstore.append(ctx.conn, [(f"review-{r['application_id']}", r["version"], d)
                                       for r, d in zip(rows, decisions, strict=True)],
                            source=ctx.source, cause=ctx.envelope, seal=ctx.authority.seal,
                            flows=[eventstore.Flow(r["correlation_id"], r["trace_headers"] or outbox.headers_now())
                                   for r in rows])
