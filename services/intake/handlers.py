"""Intake's use cases: file an application; follow its decision and payment into the read model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    GrantRevoked,
    ManualReviewRequired,
)
from contracts.campaign import ReportSubmitted
from contracts.employment import GraduateRecorded, GraduateRegistered, JobFairHeld, PostKind, is_subsidy
from contracts.funds import DonationReceived
from contracts.ledger import (
    BankCardCorrected,
    GrantRepaid,
    LedgerTransferPosted,
    PaymentFailed,
    PaymentSettled,
    TransferKind,
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
    Ruling,
)
from services.intake.clock import campaign_today
from services.intake.domain import ApplicationForm, submit
from services.intake.reports import keep_day
from services.intake.status_view import Standing, Step, fold
from services.shared import eventstore, outbox
from services.shared.authority import Authority, Principal
from services.shared.consumer import HandlerContext, Many
from services.shared.errors import Refused
from services.shared.policy import configured_book

SOURCE = "/jinqiu/intake"


@dataclass(frozen=True)
class Filed:
    application_id: str
    created: bool


@dataclass(frozen=True)
class Filing:
    """One form to file, by whom, in which business flow (correlation id, trace headers)."""

    form: ApplicationForm
    principal: Principal
    flow: eventstore.Flow


async def file_filings(conn: asyncpg.Connection, filings: list[Filing], authority: Authority) -> list[Filed | Refused]:
    """Store and emit ApplicationSubmitted once per (org, submission id), for many filings (of
    one staff member or many) in four statements, in the caller's transaction. The caller has
    checked each form's scope. After the policy's filing window a filing is refused (its place
    in the answer holds the refusal), or taken as 补报 where the policy says so."""
    today = await campaign_today(conn)
    outcomes: list[ApplicationSubmitted | Refused] = []
    for f in filings:
        try:
            outcomes.append(_within_window(submit(f.form, f.principal.org, f.principal.user), today))
        except Refused as refusal:
            outcomes.append(refusal)
    taken = [(f, e) for f, e in zip(filings, outcomes, strict=True) if isinstance(e, ApplicationSubmitted)]
    now = datetime.now(UTC).isoformat()
    created = {r["application_id"] for r in await conn.fetch(
        "INSERT INTO applications (application_id, submission_id, org_code, status, history, filed_by_org, "
        "filed_by_user, category, late_filing) SELECT a, s, o, 'submitted', "
        "jsonb_build_array(jsonb_build_object('status', 'submitted', 'by', b, 'user', u, 'at', $4::text)), b, u, c, l "
        "FROM unnest($1::text[], $2::text[], $3::text[], $5::text[], $6::text[], $7::text[], $8::boolean[]) "
        "AS x(a, s, o, b, u, c, l) ON CONFLICT DO NOTHING RETURNING application_id",
        [e.application_id for _, e in taken], [f.form.submission_id for f, _ in taken],
        [f.form.org_code for f, _ in taken], now, [f.principal.org for f, _ in taken],
        [f.principal.user for f, _ in taken], [f.form.category.value for f, _ in taken],
        [e.late_filing for _, e in taken],
    )} if taken else set()
    first_of_each = {e.application_id: (f, e) for f, e in reversed(taken) if e.application_id in created}
    await eventstore.append(
        conn, [(f"application-{e.application_id}", 1, e) for _, e in first_of_each.values()],
        source=SOURCE, seal=authority.seal,
        flows=[replace(f.flow, orgcode=f.principal.org) for f, _ in first_of_each.values()],
    )
    return [Filed(e.application_id, created=e.application_id in created) if isinstance(e, ApplicationSubmitted)
            else e for e in outcomes]


async def file_applications(
    conn: asyncpg.Connection, forms: list[ApplicationForm], principal: Principal, authority: Authority,
    correlation_id: str,
) -> list[Filed]:
    """Many forms of one staff member (a spreadsheet's chunk): all filed, or the refusal raised."""
    flow = eventstore.Flow(correlation_id, outbox.headers_now())
    filed = await file_filings(conn, [Filing(form, principal, flow) for form in forms], authority)
    refused = next((f for f in filed if isinstance(f, Refused)), None)
    if refused:
        raise refused
    return filed


def _within_window(event: ApplicationSubmitted, today: dt.date | None) -> ApplicationSubmitted:
    policy = configured_book().find(event.org_code, event.campaign_year)
    window = policy.calendar.filing(today) if policy else "open"
    if window == "closed":
        raise Refused("filing_closed", f"{event.campaign_year}年度申报已于{policy.calendar.filing_closes}截止，"
                                       "本次申报未受理；如有特殊情况请联系上级工会")
    return event.model_copy(update={"late_filing": True}) if window == "late" else event


async def on_clock_ticked(ctx: HandlerContext, e: ClockTicked) -> None:
    """The campaign date, for the filing window and the deadlines (verification keeps its own, for
    notices). When it moves on, the day that ended is kept for reports as of that day."""
    before = await ctx.conn.fetchval("SELECT today FROM campaign_clock WHERE name = $1", e.clock)
    if before is not None and e.today > before:
        await keep_day(ctx.conn, before)
    await ctx.conn.execute("INSERT INTO campaign_clock VALUES ($1, $2) ON CONFLICT (name) DO UPDATE "
                           "SET today = greatest(campaign_clock.today, EXCLUDED.today)", e.clock, e.today)


async def file_application(
    conn: asyncpg.Connection, form: ApplicationForm, principal: Principal, authority: Authority, correlation_id: str
) -> Filed:
    """One filing: refused outside the filer's subtree."""
    authority.require_scope(principal.org, form.org_code)
    (filed,) = await file_applications(conn, [form], principal, authority, correlation_id)
    return filed


async def _submitted_elsewhere(items: list[tuple[HandlerContext, ApplicationSubmitted]]) -> None:
    """Applications other union systems publish straight to Kafka are visible here too; if what
    became of one arrived first (from another topic), its placeholder is completed. Intake's own
    filings (any instance's) are in the table since they were filed: they are passed over unread."""
    await items[0][0].conn.executemany(
        "INSERT INTO applications (application_id, submission_id, org_code, status, history, filed_by_org, "
        "filed_by_user, category) VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7) ON CONFLICT (application_id) "
        "DO UPDATE SET submission_id = EXCLUDED.submission_id, org_code = EXCLUDED.org_code, "
        "history = EXCLUDED.history || applications.history, filed_by_org = EXCLUDED.filed_by_org, "
        "filed_by_user = EXCLUDED.filed_by_user, category = EXCLUDED.category WHERE applications.filed_by_org IS NULL",
        [(e.application_id, e.submission_id, e.org_code,
          [{"status": "submitted", "by": e.filed_by_org, "user": e.filed_by_user, "at": ctx.envelope.time.isoformat()}],
          e.filed_by_org, e.filed_by_user, e.category.value) for ctx, e in items])


on_submitted_elsewhere = Many(_submitted_elsewhere, others_only=SOURCE)


# An event about an application not yet seen here opens a placeholder (filed_by_org NULL) that
# its application.submitted completes.
_PLACEHOLDER = """
    INSERT INTO applications (application_id, submission_id, org_code, status)
    SELECT a, a, '', 'submitted' FROM unnest($1::text[]) AS a ORDER BY a ON CONFLICT (application_id) DO NOTHING
"""
# What the fold reads (services/intake/status_view.py), locked in one order against another
# instance; each row found through the primary key, whatever the planner believes of a table that
# grew faster than it was analysed (`= ANY` or a join was planned as a scan of the whole table).
_STANDINGS = """
    SELECT a.* FROM unnest($1::text[]) AS u(id) CROSS JOIN LATERAL (
        SELECT application_id, status, attempt, open_objections, open_complaints,
               ARRAY(SELECT h ->> 'transfer_id' FROM jsonb_array_elements(history) AS h
                     WHERE h ->> 'status' = 'payment_failed') AS refused_transfers
        FROM applications WHERE application_id = u.id FOR UPDATE) AS a
"""
# Each application once, through its primary key: its new standing, its history entries
# appended in order, the columns a step set.
_WRITE = """
    UPDATE applications SET status = $2, attempt = $3, open_objections = $4, open_complaints = $5,
        history = history || $6::jsonb, amount_fen = COALESCE($7, amount_fen), reasons = COALESCE($8, reasons),
        notice_ends_on = COALESCE($9, notice_ends_on), fund_sources = COALESCE($10::text[], fund_sources),
        paid_from = COALESCE($11, paid_from)
    WHERE application_id = $1
"""


def follow(describe: Callable[[Any], Step | None]) -> Many:
    """A handler that folds a whole run of events into the status view (`apply_steps`)."""
    async def apply(items: list[tuple[HandlerContext, Any]]) -> None:
        steps = []
        for ctx, event in items:
            step = describe(event)
            if step is None:
                continue
            entry = {"status": step.status} if step.status else {}
            steps.append((step, entry | {**step.fields, "at": ctx.envelope.time.isoformat()}))
        if steps:
            await apply_steps(items[0][0].conn, steps)

    return Many(apply)


async def apply_steps(conn: asyncpg.Connection, steps: list[tuple[Step, dict]]) -> None:
    """(step, history entry) pairs, in order, into the status view: the placeholders, the
    standings read and locked in one statement, then each application written once."""
    ids = sorted({step.application_id for step, _ in steps})
    await conn.execute(_PLACEHOLDER, ids)
    standings = {row["application_id"]: Standing(row["status"], row["attempt"], row["open_objections"],
                                                 row["open_complaints"], frozenset(row["refused_transfers"]))
                 for row in await conn.fetch(_STANDINGS, ids)}
    await conn.executemany(_WRITE, [
        (application_id, c.standing.status, c.standing.attempt, c.standing.open_objections,
         c.standing.open_complaints, c.entries, c.amount_fen, c.reasons, c.notice_ends_on, c.fund_sources, c.paid_from)
        for application_id, c in fold(standings, steps).items()])


def manual_review_required(e: ManualReviewRequired) -> Step:
    return Step(e.application_id, "manual_review", {"reasons": [e.reason]}, attempt=e.attempt)


def in_notice(e: ApplicationInNotice) -> Step:
    return Step(e.application_id, "in_notice", {"amount_fen": e.amount_fen, "rule_id": e.rule_id,
                "notice_from": e.starts_on.isoformat(), "notice_until": e.ends_on.isoformat()},
                notice_ends_on=e.ends_on, attempt=e.attempt, fund_sources=list(e.fund_sources) or None)


def review_decided(e: ManualReviewDecided) -> Step:
    return Step(e.application_id, None, {"event": "manual_review_decided", "outcome": e.outcome.value,
                "by": e.reviewer_org, "user": e.reviewer_user, "note": e.note})


def objection_raised(e: ObjectionRaised) -> Step:
    return Step(e.application_id, None, {"event": "objection_raised", "objection_id": e.objection_id,
                "by": e.org_code, "summary": e.summary}, objections=1)


def objection_resolved(e: ObjectionResolved) -> Step:
    return Step(e.application_id, None, {"event": "objection_resolved", "objection_id": e.objection_id,
                "outcome": e.outcome.value, "by": e.resolver_org, "user": e.resolver_user, "note": e.note},
                objections=-1)


def verified(e: ApplicationVerified) -> Step:
    return Step(e.application_id, "approved", {"amount_fen": e.amount_fen, "rule_id": e.rule_id}, attempt=e.attempt,
                fund_sources=list(e.fund_sources))


def rejected(e: ApplicationRejected) -> Step:
    return Step(e.application_id, "rejected", {"reasons": list(e.reasons), "duplicate_of": e.duplicate_of},
                attempt=e.attempt)


def appeal_filed(e: AppealFiled) -> Step:
    return Step(e.application_id, "appealed", {"event": "appeal_filed", "appeal_id": e.appeal_id, "by": e.org_code,
                "user": e.recorded_by_user, "grounds": e.grounds})


def appeal_decided(e: AppealDecided) -> Step:
    """Dismissed: the rejection stands. Upheld: the review's next attempt sets the status."""
    return Step(e.application_id, "appeal_dismissed" if e.ruling is Ruling.DISMISSED else None,
                {"event": "appeal_decided", "appeal_id": e.appeal_id, "ruling": e.ruling.value,
                 "by": e.decider_org, "user": e.decider_user, "note": e.note})


def complaint_filed(e: ComplaintFiled) -> Step:
    return Step(e.application_id, None, {"event": "complaint_filed", "complaint_id": e.complaint_id,
                "by": e.org_code, "user": e.recorded_by_user, "summary": e.summary}, complaints=1)


def complaint_decided(e: ComplaintDecided) -> Step:
    return Step(e.application_id, None, {"event": "complaint_decided", "complaint_id": e.complaint_id,
                "ruling": e.ruling.value, "by": e.decider_org, "user": e.decider_user, "note": e.note},
                complaints=-1)


def repaid(e: GrantRepaid) -> Step:
    return Step(e.application_id, None, {"event": "grant_repaid", "repaid_fen": e.amount_fen,
                "bank_reference": e.bank_reference, "by": e.org_code, "user": e.recorded_by_user})


def revoked(e: GrantRevoked) -> Step:
    return Step(e.application_id, "revoked", {"reasons": list(e.reasons), "complaint_id": e.complaint_id})


def transferred(e: LedgerTransferPosted) -> Step | None:
    if e.application_id and e.kind is TransferKind.GRANT:
        return Step(e.application_id, "paid", {"transfer_id": e.transfer_id, "fund": e.debit_account},
                    paid_from=e.debit_account)
    return None


async def on_ledger_entries(items: list[tuple[HandlerContext, LedgerTransferPosted]]) -> None:
    """Every ledger entry, for the console's funds page (a projection of the published ledger,
    not disbursement's tables), and grants in the application's status."""
    await _follow_transfers.handle(items)
    await items[0][0].conn.executemany(
        "INSERT INTO ledger_view VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        [(e.sequence, e.transfer_id, e.debit_account, e.credit_account, e.amount_fen, e.application_id,
          e.kind.value, e.hash, e.recorded_at) for _, e in items])


def card_corrected(e: BankCardCorrected) -> Step:
    """The grant goes out again when a fund can pay it (its ledger entry makes it 已重新发放)."""
    return Step(e.application_id, None, {"event": "bank_card_corrected", "by": e.org_code,
                                         "user": e.corrected_by_user})


def settled(e: PaymentSettled) -> Step | None:
    if is_subsidy(e.application_id):  # an employment subsidy: in the ledger view, not an application
        return None
    return Step(e.application_id, "settled", {"bank_reference": e.bank_reference})


def failed(e: PaymentFailed) -> Step | None:
    if is_subsidy(e.application_id):
        return None
    return Step(e.application_id, "payment_failed", {"reasons": [e.reason], "transfer_id": e.transfer_id})


VIEW_COLUMNS = ("application_id, submission_id, org_code, status, amount_fen, reasons, history, submitted_at, "
                "filed_by_org, filed_by_user, open_objections, notice_ends_on, attempt, open_complaints")


async def application_view(pool: asyncpg.Pool, application_id: str) -> dict | None:
    """The application with its whole history, in the order things happened (events of several
    topics may arrive in another order)."""
    row = await pool.fetchrow(f"SELECT {VIEW_COLUMNS} FROM applications WHERE application_id = $1", application_id)
    if row is None:
        return None
    return {**dict(row), "history": sorted(row["history"], key=lambda entry: entry.get("at", ""))}


async def review_queue(pool: asyncpg.Pool, orgs: list[str]) -> list[dict]:
    """What waits for a person within these orgs: manual reviews, notices with open objections,
    appeals, and complaints about grants."""
    rows = await pool.fetch(
        f"SELECT {VIEW_COLUMNS} FROM applications WHERE org_code = ANY($1) AND "
        "(status IN ('manual_review', 'appealed') OR (status = 'in_notice' AND open_objections > 0) "
        "OR open_complaints > 0) ORDER BY submitted_at",
        orgs)
    return [dict(r) for r in rows]


_follow_transfers = follow(transferred)


async def on_graduates_registered(items: list[tuple[HandlerContext, GraduateRegistered]]) -> None:
    await items[0][0].conn.executemany(
        "INSERT INTO graduates_view (graduate_id, application_id, origin_org, graduation_year) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (graduate_id) DO UPDATE SET application_id = EXCLUDED.application_id",
        [(e.graduate_id, e.application_id, e.origin_org, e.graduation_year) for _, e in items])


# A file's latest state: taken from the newest version seen (events of one graduate may be
# redelivered); its history collects every act.
_LATEST = ("stage", "employer", "program", "handoff_id", "handoff_to", "handoff_status", "recommended", "supports",
           "subsidies")
_GRADUATE_RECORDED = f"""
    INSERT INTO graduates_view (graduate_id, application_id, origin_org, graduation_year, history, version,
                                {", ".join(_LATEST)})
    VALUES ($1, '', $2, $3, $4::jsonb, $5, {", ".join(f"${i}" for i in range(6, 6 + len(_LATEST)))})
    ON CONFLICT (graduate_id) DO UPDATE SET history = graduates_view.history || EXCLUDED.history,
        {", ".join(f"{c} = CASE WHEN EXCLUDED.version > graduates_view.version THEN EXCLUDED.{c} "
                   f"ELSE graduates_view.{c} END" for c in _LATEST)},
        version = greatest(graduates_view.version, EXCLUDED.version)
"""


async def on_graduates_recorded(items: list[tuple[HandlerContext, GraduateRecorded]]) -> None:
    """The console's 就业 list and the reports: each file as employment accepted it (a refused
    act never arrives here); the act joins the history, a file seen in a later version stays.
    A run in one pipelined statement, in order (a file's acts may follow one another in it)."""
    await items[0][0].conn.executemany(_GRADUATE_RECORDED, [
        (e.graduate_id, e.origin_org, e.graduation_year, [{**e.act, "at": ctx.envelope.time.isoformat()}], e.version,
         e.stage.value, e.employer, e.program.value if e.program else None, e.handoff_id, e.handoff_to,
         e.handoff_status, list(e.recommended), [s.value for s in e.supports], [s.value for s in e.subsidies])
        for ctx, e in items])


async def on_job_fair(ctx: HandlerContext, e: JobFairHeld) -> None:
    await ctx.conn.execute(
        "INSERT INTO job_fairs_view VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) ON CONFLICT DO NOTHING",
        e.fair_id, e.org_code, e.name, e.kind.value, e.held_on, len(e.posts), sum(p.openings for p in e.posts),
        sum(1 for p in e.posts if p.kind is not PostKind.JOB), [p.model_dump(mode="json") for p in e.posts])


async def on_report_submitted(ctx: HandlerContext, e: ReportSubmitted) -> None:
    """The first submission of a deadline's report counts (a later one does not make it on time)."""
    await ctx.conn.execute("INSERT INTO report_submissions VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                           e.org_code, e.campaign_year, e.deadline, e.submitted_on, e.recorded_by_user)


async def on_donation(ctx: HandlerContext, e: DonationReceived) -> None:
    await ctx.conn.execute("INSERT INTO donations_view VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                           e.donation_id, e.donor, e.org_code, e.amount_fen, list(e.intent.org_codes),
                           list(e.intent.stages), e.intent.per_student_cap_fen)
