"""How long intake's event loop stalls while a big county spreadsheet is imported: /healthz is
polled every 50 ms during the import and its worst and 99th-percentile latencies are printed.

    .venv/bin/python -m benchmarks.import_latency --rows 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from deploy.local import infrastructure
from deploy.ports import free_port
from services.demo.season import generate
from services.season.samples import write_sample
from services.shared.settings import Settings
from services.system import IntakeHttp, prepare_broker
from tests.integration.services import running

TOKEN = {"bench-token": {"org": "340000", "user": "bench"}}


async def measure(settings: Settings, sheet: Path) -> None:
    await prepare_broker(settings)
    async with running(settings, "intake") as (intake,):
        http = IntakeHttp(intake, "127.0.0.1", free_port())
        await http.start()
        async with httpx.AsyncClient(base_url=http.url, timeout=600) as client:
            latencies: list[float] = []
            done = asyncio.Event()

            async def probe() -> None:
                while not done.is_set():
                    started = time.perf_counter()
                    await client.get("/healthz")
                    latencies.append(time.perf_counter() - started)
                    await asyncio.sleep(0.05)

            prober = asyncio.create_task(probe())
            started = time.perf_counter()
            response = await client.post("/v1/imports", files={"file": (sheet.name, sheet.read_bytes())},
                                         headers={"Authorization": "Bearer bench-token"})
            took = time.perf_counter() - started
            done.set()
            await prober
        await http.stop()
    report = response.json()
    latencies.sort()
    print(f"import: HTTP {response.status_code}, {report.get('rows')} rows, {report.get('accepted')} accepted, "
          f"{report.get('refused')} refused, {took:.1f} s")
    print(f"/healthz during the import: {len(latencies)} probes, median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, worst {latencies[-1] * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_sample(generate(args.rows, 1), Path(tmp), 0.05, 1)
        sheet = next(Path(tmp).glob("applications*"))
        with infrastructure() as endpoints:
            settings = Settings(KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap_servers,
                                DATABASE_URL=endpoints.database_url, api_tokens=json.dumps(TOKEN),
                                signing_keys=endpoints.signing_keys, kafka_credentials=endpoints.kafka_credentials)
            asyncio.run(measure(settings, sheet))


if __name__ == "__main__":
    main()
