"""Idempotent consumption: an event id is claimed once, in the transaction of its effect."""

from __future__ import annotations

import asyncpg


async def claim_many(conn: asyncpg.Connection, event_ids: list[str]) -> set[str]:
    """The ids among `event_ids` seen for the first time, all claimed in one statement."""
    rows = await conn.fetch(
        "INSERT INTO inbox (event_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
        event_ids,
    )
    return {r["event_id"] for r in rows}
