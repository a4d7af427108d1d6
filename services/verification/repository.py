"""Reviews in PostgreSQL: each loaded by folding its stream in the event store; each save appends
the new events (publishing only verification's own decisions) and refreshes the projections
the queries and the notice clock read (`reviews`, `decisions`, released aid slots)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.access import VERIFICATION, may_produce
from contracts.applications import ApplicationRejected, ApplicationVerified, GrantRevoked
from contracts.base import Event
from contracts.registry import BY_NAME, decode_data
from services.shared import eventstore, outbox
from services.shared.consumer import HandlerContext
from services.shared.errors import Refused
from services.verification.review import EntitlementAssessed, Review, projection

STORED_EVENTS = {**BY_NAME, EntitlementAssessed.NAME: EntitlementAssessed}

_PROJECT = """
    INSERT INTO reviews (application_id, org_code, filed_by_org, filed_by_user, status, version, attempt, category,
                         program, stage, notice_ends_on, open_objections, entitlement, correlation_id, trace_headers)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
    ON CONFLICT (application_id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version,
        attempt = EXCLUDED.attempt, notice_ends_on = EXCLUDED.notice_ends_on,
        open_objections = EXCLUDED.open_objections, entitlement = EXCLUDED.entitlement
"""
_DECISION = """
    INSERT INTO decisions (application_id, org_code, decision, amount_fen, fund_sources, rule_id, policy_version,
                           reasons, duplicate_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (application_id) DO UPDATE SET decision = EXCLUDED.decision, amount_fen = EXCLUDED.amount_fen,
        fund_sources = EXCLUDED.fund_sources, rule_id = EXCLUDED.rule_id, policy_version = EXCLUDED.policy_version,
        reasons = EXCLUDED.reasons, duplicate_of = EXCLUDED.duplicate_of
"""


def stream_id(application_id: str) -> str:
    return f"review-{application_id}"


def decode_stored(type_name: str, data: dict) -> Event:
    return decode_data(type_name, data, STORED_EVENTS)


def published(event: Event) -> bool:
    return may_produce(VERIFICATION, type(event))


def decision_columns(d: ApplicationVerified | ApplicationRejected) -> dict:
    """The `decisions` row of a decision, column by column (in the table's order)."""
    approved = isinstance(d, ApplicationVerified)
    return {"application_id": d.application_id, "org_code": d.org_code,
            "decision": "approved" if approved else "rejected", "amount_fen": d.amount_fen if approved else 0,
            "fund_sources": list(d.fund_sources) if approved else [], "rule_id": d.rule_id,
            "policy_version": d.policy_version, "reasons": [] if approved else list(d.reasons),
            "duplicate_of": None if approved else d.duplicate_of}


def decision_row(d: ApplicationVerified | ApplicationRejected) -> tuple:
    return tuple(decision_columns(d).values())


def projection_row(review: Review, flow: eventstore.Flow) -> tuple:
    p = projection(review)
    return (p["application_id"], p["org_code"], p["filed_by_org"], p["filed_by_user"], p["status"], p["version"],
            p["attempt"], p["category"], p["program"], p["stage"], p["notice_ends_on"], p["open_objections"],
            p["entitlement"], flow.correlationid, flow.headers)


class PostgresReviews:
    """The review repository of one handler run, in its transaction."""

    def __init__(self, ctx: HandlerContext) -> None:
        self.ctx = ctx
        self.flows: dict[str, eventstore.Flow] = {}

    async def get_many(self, application_ids: Sequence[str]) -> dict[str, Review]:
        streams = await eventstore.load(self.ctx.conn, [stream_id(a) for a in application_ids], decode_stored)
        for row in await self.ctx.conn.fetch("SELECT application_id, correlation_id, trace_headers FROM reviews "
                                             "WHERE application_id = ANY($1)", list(application_ids)):
            self.flows[row["application_id"]] = eventstore.Flow(row["correlation_id"],
                                                                row["trace_headers"] or outbox.headers_now())
        return {events[0].application_id: Review.fold(events) for events in streams.values()}

    async def get(self, application_id: str) -> Review:
        found = (await self.get_many([application_id])).get(application_id)
        if found is None:
            raise Refused("application_not_found", f"申请{application_id}不存在或尚未进入审核")
        return found

    async def save(self, current: Review | None, events: list[Event]) -> None:
        """Append `events` to `current`'s stream (None: a new review, whose first event is the
        application) and refresh its projections."""
        await self.save_many([(current, events)])

    async def save_many(self, changes: Sequence[tuple[Review | None, list[Event]]], own_flows: bool = False) -> None:
        """Several reviews at once. With `own_flows`, each review's events continue the business
        flow the application came in (a tick of the clock decides many)."""
        items, afters, flows = [], [], []
        default = eventstore.Flow(self.ctx.envelope.correlationid, outbox.headers_now())
        for current, events in changes:
            if not events:
                continue
            base = current.version if current else 0
            after = current if current else Review(application=events[0])
            for event in events if current else events[1:]:
                after = after.apply(event)
            flow = self.flows.get(after.application_id, default) if own_flows else default
            items += [(stream_id(after.application_id), base + i + 1, e) for i, e in enumerate(events)]
            flows += [flow] * len(events)
            afters.append((after, self.flows.get(after.application_id, default)))
        if not items:
            return
        conn = self.ctx.conn
        await eventstore.append(conn, items, source=self.ctx.source, cause=self.ctx.envelope,
                                seal=self.ctx.authority.seal, flows=flows, publishes=published)
        await conn.executemany(_PROJECT, [projection_row(after, flow) for after, flow in afters])
        decisions = [e for _, _, e in items if isinstance(e, ApplicationVerified | ApplicationRejected)]
        if decisions:
            await conn.executemany(_DECISION, [decision_row(d) for d in decisions])
        revoked = [e.application_id for _, _, e in items if isinstance(e, GrantRevoked)]
        if revoked:
            await conn.execute("UPDATE decisions SET decision = 'revoked' WHERE application_id = ANY($1)", revoked)
        released = [d.application_id for d in decisions if isinstance(d, ApplicationRejected) and not d.duplicate_of]
        if released:
            await conn.execute("DELETE FROM aid_slots WHERE application_id = ANY($1)", released)
