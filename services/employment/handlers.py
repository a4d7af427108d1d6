"""Employment's handlers: register graduates from applications, record the unions' acts on their
实名制档案 (each checked by the graduate's fold), keep job fairs, approve subsidies for payment."""

from __future__ import annotations

from contracts.access import EMPLOYMENT_SERVICE, may_produce
from contracts.applications import ApplicationSubmitted
from contracts.base import Event
from contracts.employment import GraduateRegistered, JobFairHeld, Post, SubsidyRequested
from contracts.registry import decode_data
from services.employment.domain import Graduate, graduate_from
from services.shared import eventstore
from services.shared.commands import first_time
from services.shared.consumer import HandlerContext, Many
from services.shared.errors import Refused
from services.shared.policy import PolicyBook

GRADUATE_COLUMNS = ("graduate_id", "application_id", "origin_org", "graduation_year", "status", "employer", "program",
            "profile", "destination_org", "handoff", "recommendations", "supports", "subsidies", "history")
_PROJECT = f"""
    INSERT INTO graduates ({", ".join(GRADUATE_COLUMNS)}) VALUES ({", ".join(f"${i}" for i in range(1, len(GRADUATE_COLUMNS) + 1))})
    ON CONFLICT (graduate_id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in GRADUATE_COLUMNS[4:])},
        updated_at = now()
"""


def stream_id(graduate_id: str) -> str:
    return f"graduate-{graduate_id}"


def published(event: Event) -> bool:
    return may_produce(EMPLOYMENT_SERVICE, type(event))


def graduate_registrar(book: PolicyBook) -> Many:
    """A run of applications at once: the college students among them registered, each once
    (a student who filed again, in another application or year, keeps the one archive), in
    three statements for the whole run."""
    async def on_applications_submitted(items: list[tuple[HandlerContext, ApplicationSubmitted]]) -> None:
        found: dict[str, tuple[HandlerContext, GraduateRegistered]] = {}
        for ctx, e in items:
            policy = book.find(e.org_code, e.campaign_year)
            registered = graduate_from(e, policy.graduate_cohort if policy else None)
            if registered is not None and registered.graduate_id not in found:
                found[registered.graduate_id] = (ctx, registered)
        if not found:
            return
        first = items[0][0]
        known = {r["stream_id"] for r in await first.conn.fetch(
            "SELECT stream_id FROM events WHERE stream_id = ANY($1) AND version = 1",
            [stream_id(g) for g in found])}
        new = [(ctx, r) for g, (ctx, r) in found.items() if stream_id(g) not in known]
        if not new:
            return
        await eventstore.append(
            first.conn, [(stream_id(r.graduate_id), 1, r) for _, r in new], source=first.source,
            seal=first.authority.seal, publishes=published,
            flows=[ctx.flow() for ctx, _ in new])
        await project(first, *(Graduate(registered=r) for _, r in new))
    return Many(on_applications_submitted)


async def project(ctx: HandlerContext, *graduates: Graduate) -> None:
    rows = [graduate.projection() for graduate in graduates]
    await ctx.conn.executemany(_PROJECT, [[p[c] for c in GRADUATE_COLUMNS] for p in rows])


async def _post(ctx: HandlerContext, fair_id: str, post_id: str) -> Post | None:
    posts = await ctx.conn.fetchval("SELECT posts FROM job_fairs WHERE fair_id = $1", fair_id)
    return next((Post(**p) for p in (posts or []) if p["post_id"] == post_id), None)


def graduate_acts(book: PolicyBook):
    """One handler for every union act on a graduate: the fold decides, the stream keeps it (the
    act is not published again), the row follows; a subsidy approved is published for payment."""
    async def on_act(ctx: HandlerContext, e: Event) -> None:
        stream = (await eventstore.load(ctx.conn, [stream_id(e.graduate_id)], decode_data)).get(stream_id(e.graduate_id))
        if not stream:
            raise Refused("unknown_graduate", f"毕业生{e.graduate_id}尚未登记")
        before = Graduate.fold(stream)
        context = {}
        if hasattr(e, "post_id") and hasattr(e, "fair_id"):
            context["post"] = await _post(ctx, e.fair_id, e.post_id)
        if isinstance(e, SubsidyRequested):
            if not await first_time(ctx, f"subsidy:{e.subsidy_id}", e):
                return
            policy = book.find(before.registered.origin_org, before.registered.campaign_year or 0)
            context["cap_fen"] = policy.employment_subsidies_fen.get(e.kind) if policy else None
            context["cohort"] = policy.graduate_cohort if policy else None
        after = before.record(e, ctx.authority.tree.on_one_line, **context)
        if hasattr(e, "to_org") and e.to_org not in ctx.authority.tree.orgs:
            raise Refused("org_not_found", f"未知的工会{e.to_org}")
        new = [e, after.approval(e)] if isinstance(e, SubsidyRequested) else [e]
        if len(new) > 1:
            after = after.apply(new[1])
        await eventstore.record(ctx.conn, stream_id(e.graduate_id), before.version, [*new, after.recorded()],
                                source=ctx.source, cause=ctx.envelope, seal=ctx.authority.seal, publishes=published)
        await project(ctx, after)
    return on_act


async def on_job_fair_held(ctx: HandlerContext, e: JobFairHeld) -> None:
    """A fair and the posts it offered, once per fair id (another fair under the same id is refused)."""
    if not await first_time(ctx, f"job_fair:{e.fair_id}", e):
        return
    if len({p.post_id for p in e.posts}) < len(e.posts):
        raise Refused("duplicate_post", "同一招聘会的岗位编号不能重复")
    await eventstore.record(ctx.conn, f"fair-{e.fair_id}", 0, [e], source=ctx.source, cause=ctx.envelope,
                            seal=ctx.authority.seal, publishes=lambda event: False)
    await ctx.conn.execute(
        "INSERT INTO job_fairs (fair_id, org_code, name, kind, held_on, posts) VALUES ($1, $2, $3, $4, $5, $6)",
        e.fair_id, e.org_code, e.name, e.kind.value, e.held_on,
        [p.model_dump(mode="json") for p in e.posts])
