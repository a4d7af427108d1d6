"""Verification's handlers: the registry projection, and the review of each application as an
aggregate (services/verification/review.py) loaded from its stream: filing, manual review,
public notice with objections, the clock that ends notices, appeals and complaints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import asyncpg

from contracts.applications import ApplicationSubmitted
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
from services.shared.commands import first_time
from services.shared.consumer import HandlerContext, Many
from services.shared.orgs import OrgTree
from services.shared.policy import Policy, PolicyBook
from services.verification import notices
from services.verification.domain import NO_POLICY_VERSION, HouseholdFacts, advance_clock, review
from services.verification.repository import PostgresReviews
from services.verification.review import Review, duplicate

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


async def household_facts_many(conn: asyncpg.Connection, apps: Sequence[ApplicationSubmitted],
                               tree: OrgTree) -> tuple[list[HouseholdFacts], dt.date | None]:
    """What the registry knows of each application's household, and the campaign date, in one
    query for them all."""
    rows = await conn.fetch(
        """SELECT u.i, f.status, f.members, f.org_code AS file_org, a.signed_on,
                  (SELECT today FROM clock WHERE name = 'campaign') AS today,
                  CASE WHEN a.household_id IS NOT NULL AND a.revoked_on IS NULL THEN a.signatory_ids END AS signed,
                  c.passed,
                  EXISTS (SELECT 1 FROM warmth_visits w WHERE w.household_id = u.h
                          AND extract(year FROM w.visited_on) >= u.y - 1) AS visited,
                  EXISTS (SELECT 1 FROM gig_workers g WHERE g.household_id = u.h) AS gig
           FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS u(h, y, i)
           LEFT JOIN hardship_files f ON f.household_id = u.h
           LEFT JOIN authorizations a ON a.household_id = u.h
           LEFT JOIN household_checks c ON c.household_id = u.h
           ORDER BY u.i""",
        [a.household_id for a in apps], [a.campaign_year for a in apps],
    )
    facts = [HouseholdFacts(
        hardship_file=row["status"], file_members=tuple(row["members"] or ()),
        signatories=tuple(row["signed"]) if row["signed"] is not None else None,
        check_passed=row["passed"], warmth_visited=row["visited"], gig_worker=row["gig"],
        file_in_scope=row["file_org"] is None or tree.on_one_line(row["file_org"], app.org_code),
        signed_on=row["signed_on"], reviewed_on=row["today"],
    ) if app.household_id is not None else HouseholdFacts() for app, row in zip(apps, rows, strict=True)]
    return facts, rows[0]["today"] if rows else None


# --- reviews --------------------------------------------------------------------------------

def application_reviewer(book: PolicyBook) -> Many:
    """A run of applications reviewed at once: their household facts in one query, their aid
    slots in two statements, their reviews in one append and two projection statements (the
    busiest handler of the season; one at a time it took five round trips per application)."""
    async def on_applications_submitted(items: list[tuple[HandlerContext, ApplicationSubmitted]]) -> None:
        first = items[0][0]
        apps = [e for _, e in items]
        policies = [book.find(e.org_code, e.campaign_year) for e in apps]
        facts, today = await household_facts_many(first.conn, apps, first.authority.tree)
        holders = await take_aid_slots(first.conn, apps, policies)
        reviews = PostgresReviews(first)
        changes = []
        for (ctx, e), policy, fact, holder in zip(items, policies, facts, holders, strict=True):
            if holder != e.application_id:
                outcome = duplicate(e, holder, fact, policy.version if policy else NO_POLICY_VERSION)
            else:
                outcome = review(e, fact, policy)
            events = Review(application=e, version=0).outcome_events(
                outcome, today or ctx.envelope.time.date(), policy.notice_days if policy else None, attempt=1)
            reviews.flows[e.application_id] = ctx.flow()
            changes.append((None, [e, *events]))
        await reviews.save_many(changes, own_flows=True)

    return Many(on_applications_submitted)


def _slot(app: ApplicationSubmitted, policy: Policy | None) -> tuple[str, int, str]:
    return app.student_key, app.campaign_year, policy.aid_group(app.program) if policy else app.program.value


async def take_aid_slots(conn: asyncpg.Connection, apps: Sequence[ApplicationSubmitted],
                         policies: Sequence[Policy | None]) -> list[str]:
    """For each filing, the filing that holds the student's aid for the year in its group of
    programs: this one if none else does (the first live or approved filing, in log order; in
    a run, the earlier one)."""
    slots = [_slot(app, policy) for app, policy in zip(apps, policies, strict=True)]
    claims = {}
    for slot, app in zip(slots, apps, strict=True):
        claims.setdefault(slot, app.application_id)
    columns = [list(column) for column in zip(*claims, strict=True)]
    await conn.execute(
        "INSERT INTO aid_slots SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) "
        "ON CONFLICT (student_key, campaign_year, aid_group) DO NOTHING", *columns, list(claims.values()))
    holders = {(r["student_key"], r["campaign_year"], r["aid_group"]): r["application_id"] for r in await conn.fetch(
        "SELECT s.* FROM aid_slots s JOIN unnest($1::text[], $2::int[], $3::text[]) AS u(k, y, g) "
        "ON (s.student_key, s.campaign_year, s.aid_group) = (u.k, u.y, u.g)", *columns)}
    return [holders[slot] for slot in slots]


async def take_aid_slot(conn: asyncpg.Connection, app: ApplicationSubmitted, policy: Policy | None) -> str:
    return (await take_aid_slots(conn, [app], [policy]))[0]


async def _facts_and_today(ctx: HandlerContext, app: ApplicationSubmitted) -> tuple[HouseholdFacts, dt.date | None]:
    facts, today = await household_facts_many(ctx.conn, [app], ctx.authority.tree)
    return facts[0], today


async def _today(conn: asyncpg.Connection, fallback: dt.date) -> dt.date:
    return await conn.fetchval("SELECT today FROM clock WHERE name = 'campaign'") or fallback


class Reviews(Protocol):
    """The port the acts need: load a review, save what an act added to it."""

    async def get(self, application_id: str) -> Review: ...

    async def save(self, current: Review | None, events: list[Event]) -> None: ...


async def act_on(reviews: Reviews, application_id: str, act: Callable[[Review], list[Event]]) -> list[Event]:
    """Load the review, let the act decide (its rules refuse or return events), save the events."""
    current = await reviews.get(application_id)
    events = act(current)
    await reviews.save(current, events)
    return events


def manual_reviewer(book: PolicyBook):
    async def on_manual_review_decided(ctx: HandlerContext, e: ManualReviewDecided) -> None:
        if not await first_time(ctx, f"manual_review:{e.application_id}", e):
            return
        today = await _today(ctx.conn, ctx.envelope.time.date())

        def decide(current: Review) -> list[Event]:
            policy = book.find(current.application.org_code, current.application.campaign_year)
            return current.decide_manually(e, today, policy.notice_days, ctx.authority.tree.may_act)
        await act_on(PostgresReviews(ctx), e.application_id, decide)
    return on_manual_review_decided


async def on_objection_raised(ctx: HandlerContext, e: ObjectionRaised) -> None:
    if not await first_time(ctx, f"objection:{e.objection_id}", e):
        return
    today = await _today(ctx.conn, ctx.envelope.time.date())
    await act_on(PostgresReviews(ctx), e.application_id,
                 lambda r: r.raise_objection(e, today, ctx.authority.tree.on_one_line))
    await ctx.conn.execute("INSERT INTO objections VALUES ($1, $2, 'open', $3, $4)",
                           e.objection_id, e.application_id, e.org_code, e.summary)


async def on_objection_resolved(ctx: HandlerContext, e: ObjectionResolved) -> None:
    if not await first_time(ctx, f"objection_resolution:{e.objection_id}", e):
        return
    today = await _today(ctx.conn, ctx.envelope.time.date())
    await act_on(PostgresReviews(ctx), e.application_id, lambda r: r.resolve_objection(e, today, ctx.authority.tree.may_act))
    await ctx.conn.execute("UPDATE objections SET status = $2 WHERE objection_id = $1",
                           e.objection_id, e.outcome.value)


async def on_appeal_filed(ctx: HandlerContext, e: AppealFiled) -> None:
    if not await first_time(ctx, f"appeal:{e.appeal_id}", e):
        return
    await act_on(PostgresReviews(ctx), e.application_id, lambda r: r.file_appeal(e, ctx.authority.tree.on_one_line))


def appeal_decider(book: PolicyBook):
    async def on_appeal_decided(ctx: HandlerContext, e: AppealDecided) -> None:
        """An upheld appeal reviews the application again, on today's registry facts and policy;
        it must win back the student's aid slot (another filing may hold it by now)."""
        if not await first_time(ctx, f"appeal_decision:{e.appeal_id}", e):
            return
        reviews = PostgresReviews(ctx)
        current = await reviews.get(e.application_id)
        app = current.application
        policy = book.find(app.org_code, app.campaign_year)
        facts, today = await _facts_and_today(ctx, app)
        today = today or ctx.envelope.time.date()

        def review_again(attempt: int) -> list:
            return current.outcome_events(again, today, policy.notice_days if policy else None, attempt)

        again = review(app, facts, policy)
        if e.ruling is Ruling.UPHELD:
            holder = await take_aid_slot(ctx.conn, app, policy)
            if holder != app.application_id:
                again = duplicate(app, holder, facts, policy.version if policy else NO_POLICY_VERSION)
        await reviews.save(current, current.decide_appeal(e, ctx.authority.tree.may_act, review_again))
    return on_appeal_decided


async def on_complaint_filed(ctx: HandlerContext, e: ComplaintFiled) -> None:
    if not await first_time(ctx, f"complaint:{e.complaint_id}", e):
        return
    await act_on(PostgresReviews(ctx), e.application_id, lambda r: r.file_complaint(e, ctx.authority.tree.on_one_line))


async def on_complaint_decided(ctx: HandlerContext, e: ComplaintDecided) -> None:
    if not await first_time(ctx, f"complaint_decision:{e.complaint_id}", e):
        return
    await act_on(PostgresReviews(ctx), e.application_id, lambda r: r.decide_complaint(e, ctx.authority.tree.may_act))


def clock_ticker(max_jump_days: int) -> Callable[[HandlerContext, ClockTicked], Awaitable[None]]:
    async def on_clock_ticked(ctx: HandlerContext, e: ClockTicked) -> None:
        """The campaign's date moves; the notices it ends are closed by the notice closer
        (notices.py), which is woken when this commits and names this tick their cause."""
        current = await ctx.conn.fetchval("SELECT today FROM clock WHERE name = $1 FOR UPDATE", e.clock)
        today = advance_clock(current, e.today, max_jump_days)
        await ctx.conn.execute(
            "INSERT INTO clock (name, today, ticked_by) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET today = $2, "
            "ticked_by = CASE WHEN clock.today = $2 AND clock.ticked_by IS NOT NULL THEN clock.ticked_by ELSE $3 END",
            e.clock, today, ctx.envelope.to_bytes())  # the tick that moved the date, not a later one to it
        await ctx.conn.execute("SELECT pg_notify($1, '')", notices.CHANNEL)
    return on_clock_ticked
