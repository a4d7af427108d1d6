"""Waiting after a failure: exponential backoff with full jitter, capped, reset on success, so
that many instances losing the broker or the database at once neither hammer it on its return
nor flood the logs while it is away."""

from __future__ import annotations

import asyncio
import random


class Backoff:
    def __init__(self, first: float = 0.2, cap: float = 15.0) -> None:
        self.first, self.cap, self.failures = first, cap, 0

    def next_delay(self) -> float:
        delay = random.uniform(0, min(self.cap, self.first * 2 ** self.failures))
        self.failures += 1
        return delay

    async def wait(self) -> None:
        await asyncio.sleep(self.next_delay())

    def reset(self) -> None:
        self.failures = 0
