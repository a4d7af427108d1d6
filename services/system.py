"""The four services by name, started together or one at a time, and intake's HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn

from deploy.ports import free_port
from services.disbursement.app import create_service as disbursement
from services.employment.app import create_service as employment
from services.intake.api import create_api
from services.intake.app import create_service as intake
from services.shared.kafka import acts_as_admin, ensure_topics, grant_acls, wait_for_broker
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
    """As the broker's admin: the namespace's topics, and the ACLs that let each principal use them.
    Without the admin's credentials (a service in production) there is nothing to do here: each
    service creates its own topics at start, within the ACLs an operator set up once."""
    if not acts_as_admin(settings):
        return
    await wait_for_broker(settings)
    await ensure_topics(settings)
    await grant_acls(settings)


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


class ServiceProcesses:
    """The four services as separate `jinqiu service NAME` processes, as operators run them:
    each with its own interpreter (the machine's cores are shared out) and its own log file."""

    def __init__(self, settings: Settings, log_dir: Path, intake_port: int) -> None:
        self.settings, self.log_dir, self.port = settings, log_dir, intake_port
        self.url = f"http://127.0.0.1:{intake_port}"
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._log_starts: dict[str, int] = {}
        self.metrics_ports = {name: free_port() for name in SERVICES}

    async def save_metrics(self) -> None:
        """Each service's /metrics as it stands, beside its log (`<name>.metrics.txt`)."""
        async with httpx.AsyncClient(timeout=5) as client:
            for name, port in self.metrics_ports.items():
                with contextlib.suppress(httpx.HTTPError):
                    response = await client.get(f"http://127.0.0.1:{port}/metrics")
                    (self.log_dir / f"{name}.metrics.txt").write_text(response.text, encoding="utf-8")

    def _env(self, name: str) -> dict[str, str]:
        s = self.settings
        values = {"KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers, "DATABASE_URL": s.database_url,
                  "JINQIU_NAMESPACE": s.namespace, "JINQIU_API_TOKENS": s.api_tokens,
                  "JINQIU_SIGNING_KEYS": s.signing_keys, "JINQIU_POLICY_FILES": s.policy_files,
                  "JINQIU_KAFKA_CREDENTIALS": s.kafka_credentials,
                  "JINQIU_IDEMPOTENT_PRODUCER": str(s.idempotent_producer).lower(),
                  "JINQIU_INTAKE_HOST": "127.0.0.1", "JINQIU_INTAKE_PORT": str(self.port),
                  "JINQIU_LOG_FILE": str(self.log_dir / f"{name}.jsonl"), "JINQIU_LOG_LEVEL": s.log_level,
                  "JINQIU_METRICS_PORT": str(self.metrics_ports[name]),
                  "JINQIU_TRACES_FILE": str(self.log_dir / f"{name}.traces.jsonl")}
        return {**os.environ, **{k: v for k, v in values.items() if v is not None}}

    async def _spawn(self, name: str) -> None:
        log = self.log_dir / f"{name}.jsonl"
        self._log_starts[name] = log.stat().st_size if log.exists() else 0
        with (self.log_dir / f"{name}.stderr").open("ab") as stderr:  # the child keeps its own handle
            self.processes[name] = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli.main", "service", name, env=self._env(name),
                stdout=asyncio.subprocess.DEVNULL, stderr=stderr)

    async def crash_and_restart(self, name: str) -> None:
        """Kill a service without warning (SIGKILL: no offset commit, no clean shutdown) and start
        a new copy, as an operator recovering from a crash would."""
        process = self.processes[name]
        process.kill()
        await process.wait()
        await self._spawn(name)

    async def start(self, timeout: float = 90.0, names: tuple[str, ...] = SERVICES) -> None:
        """Until every service (of `names`: intake among them) has logged `service_started` (its
        schema migrated, its consumers subscribed) and intake answers /healthz. If one does not
        start, none is left running: those started are stopped again (a benchmark that timed out
        had left its intake running, unseen, through the runs after it)."""
        try:
            for name in names:
                await self._spawn(name)
            await self._until_started(timeout)
        except BaseException:
            await self.stop()
            raise

    async def _until_started(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, timeout=1) as client:
            while True:
                await self._check_alive()
                with contextlib.suppress(httpx.HTTPError):
                    if self._all_started() and (await client.get("/healthz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError("the services did not start")
                await asyncio.sleep(0.2)

    def _all_started(self) -> bool:
        def started(name: str) -> bool:
            path = self.log_dir / f"{name}.jsonl"
            if not path.exists():
                return False
            with path.open("rb") as log:
                log.seek(self._log_starts.get(name, 0))
                return b'"event":"service_started"' in log.read()
        return all(started(name) for name in self.processes)

    async def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.returncode is not None:
                error = (self.log_dir / f"{name}.stderr").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"service {name} exited with {process.returncode}: {error}")

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
