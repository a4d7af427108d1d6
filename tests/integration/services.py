"""Start real service instances for a test, and stop them after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from services.shared.runtime import ServiceRuntime
from services.shared.settings import Settings
from services.system import SERVICES


@contextlib.asynccontextmanager
async def running(settings: Settings, *names: str) -> AsyncIterator[list[ServiceRuntime]]:
    runtimes = [SERVICES[name](settings) for name in names]
    await asyncio.gather(*(r.start() for r in runtimes))
    try:
        yield runtimes
    finally:
        await asyncio.gather(*(r.stop() for r in runtimes), return_exceptions=True)
