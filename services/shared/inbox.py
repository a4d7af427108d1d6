"""Idempotent consumption: an event id is claimed once, in the transaction of its effect."""

from __future__ import annotations

import asyncpg


async def claim(conn: asyncpg.Connection, event_id: str) -> bool:
    """True the first time this event id is seen; False on any redelivery."""
    row = await conn.fetchval(
        "INSERT INTO inbox (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1", event_id
    )
    return row is not None
