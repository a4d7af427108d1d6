"""How far a season has got, read from the services' schemas: what the harnesses wait on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg


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
        SELECT (SELECT count(*) FROM verification.reviews) AS reviewed,
               (SELECT count(*) FROM verification.reviews WHERE status = 'manual_review') AS manual_reviews,
               (SELECT count(*) FROM verification.reviews WHERE status = 'in_notice') AS in_notice,
               EXISTS (SELECT 1 FROM verification.clock) AS clock_set,
               (SELECT count(*) FROM verification.decisions) AS decided,
               (SELECT count(*) FROM verification.decisions WHERE decision = 'approved') AS approved,
               (SELECT count(*) FROM verification.decisions WHERE decision = 'approved' AND amount_fen > 0)
                   AS payable,
               (SELECT count(*) FROM disbursement.payments WHERE application_id NOT LIKE 'SUB-%') AS payments,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'settled') AS settled,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'failed') AS failed,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'awaiting_funds') AS awaiting_funds,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'instructed') AS in_flight,
               (SELECT sequence FROM disbursement.ledger_head) AS ledger_entries,
               (SELECT count(*) FROM verification.hardship_files) AS households,
               (SELECT count(*) FROM employment.graduates) AS graduates,
               (SELECT count(*) FROM disbursement.payments WHERE application_id LIKE 'SUB-%' AND status = 'settled')
                   AS subsidies_paid
    """)
    return SeasonProgress(**dict(row))


def pause_after(spent: float, least: float = 0.25) -> float:
    """How long a poller waits before counting again: at least `least`, and twenty times what
    the last count took, so that watching the season keeps the database it watches at most a
    twentieth busy (the counts scan tables that grow with the season: at 50,000 applications,
    counting four times a second was a third of PostgreSQL's work, and the bench charged it to
    the system)."""
    return max(least, 20 * spent)


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
