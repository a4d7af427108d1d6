"""The campaign date as intake last heard it (`clock.ticked`, kept in `campaign_clock`)."""

from __future__ import annotations

import datetime as dt

import asyncpg


async def campaign_today(db: asyncpg.Connection | asyncpg.Pool) -> dt.date | None:
    """None before the first tick."""
    return await db.fetchval("SELECT today FROM campaign_clock WHERE name = 'campaign'")
