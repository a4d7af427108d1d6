"""Employment's handlers: register graduates from applications, project their progress."""

from __future__ import annotations

from contracts.applications import ApplicationSubmitted
from contracts.employment import EmploymentProgressRecorded, EmploymentStage
from contracts.registry import decode_data
from services.employment.domain import Graduate, graduate_from
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
        await eventstore.record(ctx.conn, stream_id(registered.graduate_id), 0, [registered],
                                source=ctx.source, cause=ctx.envelope, seal=ctx.authority.seal)


async def on_progress_recorded(ctx: HandlerContext, e: EmploymentProgressRecorded) -> None:
    """The report joins the graduate's stream (kept, not published again); the row follows the fold."""
    stream = (await eventstore.load(ctx.conn, [stream_id(e.graduate_id)], decode_data)).get(stream_id(e.graduate_id))
    if not stream:
        raise Refused("unknown_graduate", f"毕业生{e.graduate_id}尚未登记")
    before = Graduate.fold(stream)
    after = before.record(e, ctx.authority.tree.on_one_line)
    await eventstore.record(ctx.conn, stream_id(e.graduate_id), before.version, [e], source=ctx.source,
                            cause=ctx.envelope, seal=ctx.authority.seal, publishes=lambda event: False)
    p = after.projection()
    await ctx.conn.execute(
        "UPDATE graduates SET status = $2, employer = $3, history = $4::jsonb, updated_at = now() "
        "WHERE graduate_id = $1", e.graduate_id, p["status"], p["employer"], p["history"])


def stream_id(graduate_id: str) -> str:
    return f"graduate-{graduate_id}"
