"""How many filings one intake process takes over HTTP, alone on the machine with its broker
and database (no other service competing for the cores): filings per second, latency per
filing, and the CPU per filing of intake, PostgreSQL, Kafka and this client (from /proc). The
client is aiohttp, far lighter than the services' own httpx, so that it takes as little of the
two cores as it can. Intake traces 1% of filings, as deployed (deploy/k8s).

    .venv/bin/python -m benchmarks.http_filing --filings 5000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
import uvloop

from deploy.local import infrastructure
from deploy.ports import free_port
from services.bench.run import processes
from services.demo.season import generate
from services.shared.settings import Settings
from services.system import ServiceProcesses, prepare_broker

TOKEN = "bench-token"


async def measure(settings: Settings, filings: int, concurrency: int) -> None:
    settings = settings.model_copy(update={"api_tokens": json.dumps({TOKEN: {"org": "340000", "user": "bench"}})})
    await prepare_broker(settings)
    forms = generate(filings, 2023).applications[:filings]
    bodies = [json.dumps(f, ensure_ascii=False).encode() for f in forms]
    out = Path(tempfile.mkdtemp(prefix="jinqiu-http-"))
    services = ServiceProcesses(settings, out, free_port())
    await services.start(names=("intake",))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    try:
        async with aiohttp.ClientSession(base_url=services.url,
                                         connector=aiohttp.TCPConnector(limit=concurrency)) as client:
            queue = iter(bodies)

            async def clerk() -> None:
                for body in queue:
                    started = time.perf_counter()
                    async with client.post("/v1/applications", data=body, headers=headers) as response:
                        await response.read()
                        statuses[response.status] = statuses.get(response.status, 0) + 1
                    latencies.append(time.perf_counter() - started)

            cpu_before, started = processes()[1], time.perf_counter()
            await asyncio.gather(*(clerk() for _ in range(concurrency)))
            seconds, cpu_after = time.perf_counter() - started, processes()[1]
    finally:
        await services.stop()
    latencies.sort()
    print(f"{filings} filings, {concurrency} at a time, to one intake process: {seconds:.1f} s, "
          f"{filings / seconds:,.0f} filings/s; answers {statuses}")
    print(f"latency per filing: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms")
    for part, used in cpu_after.items():
        spent = used - cpu_before.get(part, 0.0)
        if spent > 0.01:
            print(f"  CPU of {part}: {spent * 1000 / filings:.2f} ms per filing ({spent / seconds:.2f} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    os.environ |= {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}
    with infrastructure() as endpoints:
        from services.cli.main import _settings

        uvloop.run(measure(_settings(endpoints), args.filings, args.concurrency))


if __name__ == "__main__":
    main()
