"""The four services by name, started together or one at a time, and intake's HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import uvicorn

from services.disbursement.app import create_service as disbursement
from services.employment.app import create_service as employment
from services.intake.api import create_api
from services.intake.app import create_service as intake
from services.shared.kafka import ensure_topics, wait_for_broker
from services.shared.runtime import ServiceRuntime
from services.shared.settings import Settings
from services.verification.app import create_service as verification

SERVICES: dict[str, Callable[[Settings], ServiceRuntime]] = {
    "intake": intake,
    "verification": verification,
    "disbursement": disbursement,
    "employment": employment,
}


async def prepare_broker(settings: Settings) -> None:
    await wait_for_broker(settings.kafka_bootstrap_servers)
    await ensure_topics(settings.kafka_bootstrap_servers, settings.namespace)


async def start_services(settings: Settings, names: list[str] | None = None) -> dict[str, ServiceRuntime]:
    await prepare_broker(settings)
    runtimes = {name: SERVICES[name](settings) for name in names or SERVICES}
    await asyncio.gather(*(r.start() for r in runtimes.values()))
    return runtimes


async def stop_services(runtimes: dict[str, ServiceRuntime]) -> None:
    await asyncio.gather(*(r.stop() for r in runtimes.values()), return_exceptions=True)


class IntakeHttp:
    """uvicorn serving intake's API inside the running event loop."""

    def __init__(self, runtime: ServiceRuntime, host: str, port: int) -> None:
        api = create_api(lambda: runtime.pool, runtime.authority)
        config = uvicorn.Config(api, host=host, port=port,
                                log_config=None, access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.url = f"http://{host}:{port}"
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task:
            await self._task
