"""Disbursement with 1, 2, 4 … instances on Apache Kafka: grants and bank settlements per second.

For each instance count, on a fresh namespace and database: start the instances (`jinqiu
service disbursement`, separate processes), let their consumer group settle, then publish the
province's allocations and N approvals (signed by verification) at once and time until every
grant is instructed and in the ledger; then the bank's N settlements, timed the same way. The
season's ledger is audited after each run. Prints one table; asserts nothing.

    .venv/bin/python -m benchmarks.disbursement_scaling --grants 20000 --instances 1 2 4
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import uvloop
from rich.console import Console
from rich.table import Table
from stdnum import luhn

from contracts.access import BANK, UNION, VERIFICATION
from contracts.applications import ApplicationVerified, SchoolStage
from contracts.base import Event
from contracts.envelope import kafka_headers
from contracts.funds import FundAllocated, FundSource
from contracts.ledger import PaymentSettled
from deploy.local import infrastructure
from deploy.ports import free_port
from services.audit.verify import verify_lines
from services.bench.procfs import cpu_seconds
from services.demo.season import COUNTIES, PROVINCE
from services.reports.outputs import write_ledger
from services.shared.authority import Authority
from services.shared.kafka import make_producer
from services.shared.logging import configure_logging
from services.shared.settings import Settings
from services.system import ServiceProcesses, prepare_broker

GRANT_FEN = 100_000


def card(i: int) -> str:
    body = f"622848{i:012d}"
    return body + luhn.calc_check_digit(body)


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    return (after[0] - before[0]) / max(1, after[1] - before[1])


async def lock_waits(database_url: str, seen: list[int]) -> None:
    """Every 50 ms: how many of the database's sessions wait on a row or transaction lock."""
    conn = await asyncpg.connect(database_url)
    try:
        while True:
            seen.append(await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def fresh_database(admin_url: str, name: str) -> str:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name


async def publish(settings: Settings, authority: Authority, principal: str, signer_of, events: list[Event]) -> None:
    producer = make_producer(settings, principal)
    await producer.start()
    try:
        sends = []
        for event in events:
            signer, orgcode = signer_of(event)
            envelope = authority.seal(event.to_envelope(source=f"/bench/{signer}", orgcode=orgcode,
                                                        correlationid=str(uuid.uuid4())), signer)
            sends.append(await producer.send(event.TOPIC.physical(settings.namespace), envelope.to_bytes(),
                                             key=event.key.encode(), headers=kafka_headers()))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def until(conn: asyncpg.Connection, query: str, target: int, timeout: float = 900) -> float:
    """Seconds (monotonic) when `query` first reached `target`."""
    deadline = time.monotonic() + timeout
    while (await conn.fetchval(query)) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{query} did not reach {target}")
        await asyncio.sleep(0.1)
    return time.monotonic()


async def spawn(settings: Settings, copies: int, log_dir: Path) -> list[asyncio.subprocess.Process]:
    env = ServiceProcesses(settings, log_dir, free_port())._env("disbursement")
    processes = []
    for i in range(copies):
        log = log_dir / f"disbursement-{i}.jsonl"
        with (log_dir / f"disbursement-{i}.stderr").open("ab") as stderr:
            processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli.main", "service", "disbursement",
                env={**env, "JINQIU_LOG_FILE": str(log), "JINQIU_METRICS_PORT": str(free_port()),
                     "JINQIU_TRACES_FILE": ""}, stdout=asyncio.subprocess.DEVNULL, stderr=stderr))
    deadline = time.monotonic() + 120
    while not all(b'"service_started"' in p.read_bytes() for p in log_dir.glob("disbursement-*.jsonl")) \
            or len(list(log_dir.glob("disbursement-*.jsonl"))) < copies:
        if time.monotonic() > deadline or any(p.returncode is not None for p in processes):
            raise RuntimeError(f"disbursement did not start; see {log_dir}")
        await asyncio.sleep(0.2)
    await asyncio.sleep(8)  # the group's rebalances settle before anything is published
    return processes


async def one_run(base: Settings, copies: int, grants: int) -> dict[str, float]:
    name = f"jinqiu_scale_{copies}_{secrets.token_hex(3)}"
    settings = base.model_copy(update={"namespace": f"{name}.",
                                       "database_url": await fresh_database(base.database_url, name)})
    await prepare_broker(settings)
    authority = Authority.from_settings(settings)
    log_dir = Path(tempfile.mkdtemp(prefix=f"jinqiu-scale-{copies}-"))
    counties = sorted(COUNTIES)
    approvals = [ApplicationVerified(application_id=f"app-{i:06d}", org_code=counties[i % len(counties)],
                                     amount_fen=GRANT_FEN, fund_sources=("central", "provincial"),
                                     stage=SchoolStage.UNDERGRADUATE, rule_id="bench", policy_version="bench@1",
                                     bank_card=card(i)) for i in range(grants)]
    per_county = GRANT_FEN * grants // len(counties) + GRANT_FEN
    allocations = [FundAllocated(allocation_id=f"bench-{county}", fund_source=FundSource.CENTRAL, from_org=PROVINCE,
                                 to_org=county, amount_fen=per_county, campaign_year=2023) for county in counties]
    processes = await spawn(settings, copies, log_dir)
    conn = await asyncpg.connect(settings.database_url)
    try:
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        machine_before = machine_busy()
        waits: list[int] = []
        sampler = asyncio.create_task(lock_waits(settings.database_url, waits))
        started = time.monotonic()
        await publish(settings, authority, UNION, lambda e: (e.from_org, e.from_org), allocations)
        await publish(settings, authority, VERIFICATION, lambda e: (VERIFICATION, e.org_code), approvals)
        instructed = await until(conn, "SELECT count(*) FROM disbursement.payments WHERE status = 'instructed'",
                                 grants)
        granted = await until(conn, "SELECT sequence FROM disbursement.ledger_head", grants + len(allocations))
        machine_grants = busy_share(machine_before, machine_busy())
        transfers = await conn.fetch("SELECT application_id, grant_transfer_id FROM disbursement.payments")
        settlements = [PaymentSettled(application_id=r["application_id"], transfer_id=str(r["grant_transfer_id"]),
                                      bank_reference=f"BK{i}") for i, r in enumerate(transfers)]
        bank_started, machine_before = time.monotonic(), machine_busy()
        await publish(settings, authority, BANK, lambda e: (BANK, None), settlements)
        await until(conn, "SELECT count(*) FROM disbursement.payments WHERE status = 'settled'", grants)
        settled = await until(conn, "SELECT sequence FROM disbursement.ledger_head", 2 * grants + len(allocations))
        cpu_all = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        machine_settled = busy_share(machine_before, machine_busy())
        sampler.cancel()
        ledger = log_dir / "ledger.jsonl"
        await write_ledger(conn, ledger)
        with ledger.open("rb") as f:
            audit = verify_lines(f)
    finally:
        await conn.close()
        for p in processes:
            p.terminate()
        await asyncio.gather(*(p.wait() for p in processes))
    return {"instances": copies, "instructed": grants / (instructed - started), "granted": grants / (granted - started),
            "settled": grants / (settled - bank_started), "cpu_ms": cpu_all * 1000 / (2 * grants),
            "busy": (machine_grants, machine_settled), "lock_waits": sum(waits) / max(1, len(waits)),
            "audit": audit.passed and audit.grants == grants}


async def measure(settings: Settings, grants: int, instance_counts: list[int], console: Console) -> None:
    results = []
    for copies in instance_counts:
        console.print(f"{copies} instance(s): {grants} grants, then {grants} settlements …")
        results.append(await one_run(settings, copies, grants))
    table = Table(title=f"disbursement: {grants} grants then {grants} settlements, on 2 cores "
                        "(broker and database on the same cores)")
    for column in ("instances", "grants instructed /s", "grants in the ledger /s", "settlements in the ledger /s",
                   "× one instance", "disbursement CPU ms per posting", "machine busy (grants / settlements)",
                   "sessions waiting on a lock (mean)", "audit"):
        table.add_column(column, justify="right")
    first = results[0]
    for r in results:
        table.add_row(str(r["instances"]), f"{r['instructed']:,.0f}", f"{r['granted']:,.0f}", f"{r['settled']:,.0f}",
                      f"{r['granted'] / first['granted']:.2f} / {r['settled'] / first['settled']:.2f}",
                      f"{r['cpu_ms']:.2f}", f"{r['busy'][0]:.0%} / {r['busy'][1]:.0%}", f"{r['lock_waits']:.2f}",
                      "passed" if r["audit"] else "FAILED")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=20000)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    with (Path(tempfile.gettempdir()) / "jinqiu-scaling.jsonl").open("w", encoding="utf-8") as log_file, \
            infrastructure() as endpoints:
        from services.cli.main import _settings

        configure_logging(Settings().log_level, stream=log_file)
        uvloop.run(measure(_settings(endpoints), args.grants, args.instances, Console(width=140)))


if __name__ == "__main__":
    main()
