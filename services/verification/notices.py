"""The end of public notice (公示): once the campaign clock has passed a notice's last day, its
review is closed, approved for payment unless an objection is open.

A tick of the clock only moves the date (and names itself the cause of what it ends); this task,
one instance at a time, closes what is due a few hundred reviews per transaction. So on the day a
season's notices end the first grants go to payment while the rest are being closed, no
transaction holds the season's reviews, and a crash loses at most one chunk's work: what is still
due is found again from the reviews themselves.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
import structlog

from contracts.envelope import Envelope
from services.shared.authority import Authority
from services.shared.consumer import HandlerContext
from services.shared.leader import LeaderLoop
from services.verification.repository import PostgresReviews

CHANNEL = "verification_notices"
"""Notified when a tick of the clock commits: the closer looks at once, not at its next round."""

_IS_DUE = "status = 'in_notice' AND open_objections = 0 AND notice_ends_on < {today}"  # reviews_due, migration 008
_DUE = f"""
    SELECT notice_ends_on, application_id FROM reviews WHERE {_IS_DUE.format(today='$1')}
      AND (notice_ends_on, application_id) > ($2, $3)
    ORDER BY notice_ends_on, application_id LIMIT $4
"""
_DUE_COUNT = "SELECT count(*) FROM reviews WHERE " + _IS_DUE.format(
    today="(SELECT today FROM clock WHERE name = 'campaign')")
_START = (dt.date.min, "")

log = structlog.get_logger(__name__)


class NoticeCloser(LeaderLoop):
    def __init__(self, pool: asyncpg.Pool, authority: Authority, source: str, batch: int = 500) -> None:
        super().__init__(pool)
        self._authority, self._source, self.batch = authority, source, batch
        self.lock_name, self.channel = "notice-closer:verification", CHANNEL
        self._date: dt.date | None = None  # the clock's date the pass below belongs to
        self._after = _START  # the last review this pass looked at, in the order they are closed
        self._done = False  # this date's pass has looked at every review that was due

    async def pending(self) -> int:
        return await self._pool.fetchval(_DUE_COUNT)

    async def work_once(self, conn: asyncpg.Connection) -> int:
        """Close the next chunk of notices that are due; how many were looked at. Each date is
        passed over once, in (last day, application) order: a review that cannot close now (an
        objection opened meanwhile) is not looked at again until the date moves on."""
        clock = await conn.fetchrow("SELECT today, ticked_by FROM clock WHERE name = 'campaign'")
        if clock is None or clock["ticked_by"] is None:
            return 0
        today = clock["today"]
        if today != self._date:
            self._date, self._after, self._done = today, _START, False
        if self._done:
            return 0
        async with conn.transaction():
            due = await conn.fetch(_DUE, today, *self._after, self.batch)
            tick = Envelope.from_bytes(clock["ticked_by"])
            reviews = PostgresReviews(HandlerContext(conn, tick, self._source, self._authority))
            loaded = await reviews.get_many([r["application_id"] for r in due])
            changes = [(review, review.close_notice(today)) for review in loaded.values()]
            await reviews.save_many(changes, own_flows=True)
        if due:
            self._after = (due[-1]["notice_ends_on"], due[-1]["application_id"])
            log.info("notices_closed", closed=sum(1 for _, events in changes if events), looked_at=len(due),
                     today=today.isoformat(), causation_id=tick.id, correlation_id=tick.correlationid)
        self._done = len(due) < self.batch
        return len(due)
