"""Verification's handlers: keep the registry projection, and review each application once."""

from __future__ import annotations

import asyncpg

from contracts.applications import ApplicationSubmitted, ApplicationVerified
from contracts.households import (
    HardshipFileClosed,
    HardshipFileOpened,
    HouseholdCheckAuthorizationSigned,
)
from services.shared import eventstore
from services.shared.consumer import HandlerContext
from services.verification.domain import HouseholdFacts, review
from services.verification.policy import Policy


async def on_hardship_file_opened(ctx: HandlerContext, e: HardshipFileOpened) -> None:
    await ctx.conn.execute(
        "INSERT INTO hardship_files (household_id, org_code, kind, status, opened_on) "
        "VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (household_id) DO UPDATE "
        "SET status = 'open', opened_on = EXCLUDED.opened_on, closed_on = NULL",
        e.household_id, e.org_code, e.kind.value, e.opened_on,
    )


async def on_hardship_file_closed(ctx: HandlerContext, e: HardshipFileClosed) -> None:
    await ctx.conn.execute(
        "UPDATE hardship_files SET status = 'closed', closed_on = $2 WHERE household_id = $1",
        e.household_id, e.closed_on,
    )


async def on_authorization_signed(ctx: HandlerContext, e: HouseholdCheckAuthorizationSigned) -> None:
    await ctx.conn.execute(
        "INSERT INTO authorizations (household_id, org_code, signed_on, signatories) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (household_id) DO UPDATE "
        "SET signed_on = EXCLUDED.signed_on, signatories = EXCLUDED.signatories",
        e.household_id, e.org_code, e.signed_on, len(e.signatory_id_numbers),
    )


async def household_facts(conn: asyncpg.Connection, household_id: str | None) -> HouseholdFacts:
    if household_id is None:
        return HouseholdFacts()
    row = await conn.fetchrow(
        "SELECT (SELECT status FROM hardship_files WHERE household_id = $1) AS hardship_file, "
        "EXISTS (SELECT 1 FROM authorizations WHERE household_id = $1) AS authorization_signed",
        household_id,
    )
    return HouseholdFacts(row["hardship_file"], row["authorization_signed"])


def application_reviewer(policy: Policy):
    async def on_application_submitted(ctx: HandlerContext, e: ApplicationSubmitted) -> None:
        decision = review(e, await household_facts(ctx.conn, e.household_id), policy)
        approved = isinstance(decision, ApplicationVerified)
        await ctx.conn.execute(
            "INSERT INTO decisions (application_id, org_code, decision, amount_fen, fund_sources, "
            "rule_id, policy_version, reasons) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            e.application_id, e.org_code, "approved" if approved else "rejected",
            decision.amount_fen if approved else 0,
            list(decision.fund_sources) if approved else [],
            decision.rule_id if approved else None, decision.policy_version,
            [] if approved else list(decision.reasons),
        )
        await eventstore.record(
            ctx.conn, f"review-{e.application_id}", 0, [decision], source=ctx.source, cause=ctx.envelope
        )

    return on_application_submitted
