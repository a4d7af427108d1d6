"""Employment's handlers: register graduates from applications, project their progress."""

from __future__ import annotations

from contracts.applications import ApplicationSubmitted
from contracts.employment import EmploymentProgressRecorded, EmploymentStage
from services.employment.domain import advance, graduate_from
from services.shared import eventstore
from services.shared.consumer import HandlerContext
from services.shared.errors import Refused
from services.shared.policy import PolicyBook


def graduate_registrar(book: PolicyBook):
    async def on_application_submitted(ctx: HandlerContext, e: ApplicationSubmitted) -> None:
        policy = book.find(e.org_code, e.campaign_year)
        cohort = policy.graduate_cohort if policy else None
        await register_graduate(ctx, e, cohort[0] if cohort else None)
    return on_application_submitted


async def register_graduate(ctx: HandlerContext, e: ApplicationSubmitted, earliest_cohort: int | None) -> None:
    registered = graduate_from(e, earliest_cohort)
    if registered is None:
        return
    inserted = await ctx.conn.fetchval(
        "INSERT INTO graduates (graduate_id, application_id, origin_org, graduation_year, status) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
        registered.graduate_id, e.application_id, e.org_code, registered.graduation_year,
        EmploymentStage.ENROLMENT.value,
    )
    if inserted:
        await eventstore.record(ctx.conn, f"graduate-{registered.graduate_id}", 0, [registered],
                                source=ctx.source, cause=ctx.envelope, seal=ctx.authority.seal)


async def on_progress_recorded(ctx: HandlerContext, e: EmploymentProgressRecorded) -> None:
    row = await ctx.conn.fetchrow("SELECT status FROM graduates WHERE graduate_id = $1 FOR UPDATE", e.graduate_id)
    if row is None:
        raise Refused("unknown_graduate", f"毕业生{e.graduate_id}尚未登记")
    status = advance(EmploymentStage(row["status"]), e)
    entry = [{"stage": e.stage.value, "on": e.recorded_on.isoformat(), "by": e.org_code}]
    await ctx.conn.execute(
        "UPDATE graduates SET status = $2, employer = COALESCE($3, employer), "
        "history = history || $4::jsonb, updated_at = now() WHERE graduate_id = $1",
        e.graduate_id, status.value, e.employer, entry,
    )
