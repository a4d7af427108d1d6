"""Group commit for filings over HTTP: the filings that arrive while one transaction is being
written wait and go together in the next, in the same four statements as one. A filing alone
still goes at once (no added delay); under load, round trips and commits are shared. Each
filing keeps its own answer: its application id, or its own refusal."""

from __future__ import annotations

import asyncio

import asyncpg

from services.intake.handlers import Filed, Filing, file_filings
from services.shared.authority import Authority
from services.shared.errors import Refused


class FilingDesk:
    def __init__(self, pool_getter, authority: Authority, most: int = 256) -> None:
        self.pool_getter, self.authority, self.most = pool_getter, authority, most
        self.waiting: list[tuple[Filing, asyncio.Future]] = []
        self.writer: asyncio.Task | None = None

    async def file(self, filing: Filing) -> Filed:
        """Filed with the others waiting now; refused outside the filer's subtree."""
        self.authority.require_scope(filing.principal.org, filing.form.org_code)
        answer = asyncio.get_running_loop().create_future()
        self.waiting.append((filing, answer))
        if self.writer is None:
            self.writer = asyncio.create_task(self._write())
        return await answer

    async def _write(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:self.most], self.waiting[self.most:]
                try:
                    pool: asyncpg.Pool = self.pool_getter()
                    async with pool.acquire() as conn, conn.transaction():
                        outcomes = await file_filings(conn, [filing for filing, _ in batch], self.authority)
                except Exception as exc:  # the database is away: every filing of the batch hears it
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for (_, answer), outcome in zip(batch, outcomes, strict=True):
                    if answer.done():
                        continue
                    if isinstance(outcome, Refused):
                        answer.set_exception(outcome)
                    else:
                        answer.set_result(outcome)
        finally:
            self.writer = None
