"""How far a season has got, read from the services' schemas: what the harnesses wait on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

# The application_name of the harnesses' own connections (the demo's, a season run's, the bench's
# sampling): operators see who is counting in pg_stat_activity, and `jinqiu bench` charges the
# CPU of these backends to the harness, not to the system it measures.
WATCHING = "jinqiu watching"


async def watch(database_url: str) -> asyncpg.Connection:
    """A connection for counting how far a season got."""
    return await asyncpg.connect(database_url, server_settings={"application_name": WATCHING})


async def watching_backends(conn: asyncpg.Connection) -> frozenset[int]:
    """The server processes of the harnesses' connections (their CPU is the harness's)."""
    return frozenset(r["pid"] for r in await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1", WATCHING))


@dataclass(frozen=True)
class SeasonProgress:
    reviewed: int
    manual_reviews: int
    in_notice: int
    clock_set: bool
    decided: int
    approved: int
    payable: int
    payments: int
    settled: int
    failed: int
    awaiting_funds: int
    in_flight: int
    ledger_entries: int
    households: int
    graduates: int
    subsidies_paid: int


async def progress(conn: asyncpg.Connection) -> SeasonProgress:
    row = await conn.fetchrow("""
        WITH reviews AS (
            SELECT count(*) AS reviewed, count(*) FILTER (WHERE status = 'manual_review') AS manual_reviews,
                   count(*) FILTER (WHERE status = 'in_notice') AS in_notice
            FROM verification.reviews),
        decisions AS (
            SELECT count(*) AS decided, count(*) FILTER (WHERE decision = 'approved') AS approved,
                   count(*) FILTER (WHERE decision = 'approved' AND amount_fen > 0) AS payable
            FROM verification.decisions),
        payments AS (
            SELECT count(*) FILTER (WHERE application_id NOT LIKE 'SUB-%') AS payments,
                   count(*) FILTER (WHERE status = 'settled') AS settled,
                   count(*) FILTER (WHERE status = 'failed') AS failed,
                   count(*) FILTER (WHERE status = 'awaiting_funds') AS awaiting_funds,
                   count(*) FILTER (WHERE status = 'instructed') AS in_flight,
                   count(*) FILTER (WHERE application_id LIKE 'SUB-%' AND status = 'settled') AS subsidies_paid
            FROM disbursement.payments)
        SELECT reviews.*, decisions.*, payments.*,
               EXISTS (SELECT 1 FROM verification.clock) AS clock_set,
               (SELECT sequence FROM disbursement.ledger_head) AS ledger_entries,
               (SELECT count(*) FROM verification.hardship_files) AS households,
               (SELECT count(*) FROM employment.graduates) AS graduates
        FROM reviews, decisions, payments
    """)  # one scan of each table, its counts filtered (a scan per count was 11% of the database's work)
    return SeasonProgress(**dict(row))


def pause_after(spent: float, least: float = 0.25, most: float = 2.0) -> float:
    """How long a poller waits before counting again: twenty times what the last count took, so
    that watching the season keeps the database it watches at most a twentieth busy (the counts
    scan tables that grow with the season: at 50,000 applications, counting four times a second
    was a third of PostgreSQL's work), within [`least`, `most`]: a count that waited on a lock
    (the services' migrations, at the start) must not stop the watching for long."""
    return min(most, max(least, 20 * spent))


async def wait_until(conn: asyncpg.Connection, done: Callable[[SeasonProgress], bool], what: str,
                     timeout: float, on_tick: Callable[[SeasonProgress], None] | None = None) -> SeasonProgress:
    deadline = time.monotonic() + timeout
    while True:
        started = time.monotonic()
        state = await progress(conn)
        spent = time.monotonic() - started
        if on_tick:
            on_tick(state)
        if done(state):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}: {state}")
        await asyncio.sleep(pause_after(spent))
