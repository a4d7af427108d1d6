"""A task that only one instance of a service may run at a time (the outbox relay, the ledger
sequencer): the others stand by on a PostgreSQL advisory lock and take over when the leader's
connection goes. The leader works whenever the channel it listens on is notified, and at least
twice a second; a lost database is retried after a growing pause, never fatal."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from services.shared.backoff import Backoff

log = structlog.get_logger(__name__)


class LeaderLoop:
    """Subclasses say what one round of work is (`work_once`, returning how much it did, at most
    `batch`), the advisory lock's name and the channel that wakes the leader."""

    lock_name: str
    channel: str
    batch: int

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._wakeup = asyncio.Event()

    async def work_once(self, conn: asyncpg.Connection) -> int:
        raise NotImplementedError

    async def pending(self) -> int:
        """How much work waits (for `drain`)."""
        raise NotImplementedError

    async def on_failure(self, exc: Exception) -> None:
        """After a failed round, before the pause."""

    async def run(self) -> None:
        backoff = Backoff()
        while True:
            try:
                await self._run_while_leader(backoff)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next_delay()
                log.warning("leader_loop_failed_will_retry", task=self.lock_name, error=repr(exc)[:300],
                            attempt=backoff.failures, retry_in_s=round(delay, 2))
                with contextlib.suppress(Exception):
                    await self.on_failure(exc)
                await asyncio.sleep(delay)

    async def _run_while_leader(self, backoff: Backoff) -> None:
        async with self._pool.acquire() as conn:
            while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self.lock_name):
                await asyncio.sleep(1.0)
            await conn.add_listener(self.channel, self._on_notify)
            try:
                while True:
                    done = await self.work_once(conn)
                    backoff.reset()
                    if done < self.batch:
                        self._wakeup.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wakeup.wait(), timeout=0.5)
            finally:
                with contextlib.suppress(Exception):
                    await conn.remove_listener(self.channel, self._on_notify)
                    await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", self.lock_name)

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def drain(self, timeout: float = 5.0) -> None:
        """Until nothing waits (or `timeout`): a clean stop finishes the work it was given."""
        deadline = asyncio.get_running_loop().time() + timeout
        with contextlib.suppress(Exception):
            while await self.pending():
                if asyncio.get_running_loop().time() > deadline:
                    return
                self._wakeup.set()
                await asyncio.sleep(0.05)
