"""`jinqiu bench`: on one broker and one database, first the bare baselines, then a whole demo
season through the four services (HTTP filing, review, notice, payment, bank), sampled as it runs:
when each stage finished, submit → verdict latency and its two hops, each service's peak RSS, and
the audit rate of the season's ledger. Prints one table; asserts nothing (a benchmark, not a test)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from services.audit.verify import verify_lines
from services.bench.baselines import Rate, kafka_produce_and_consume, postgres_inserts
from services.bench.hops import Hop, submit_to_verdict
from services.bench.procfs import memory_kb, process_cpu
from services.demo.run import play
from services.demo.season import generate
from services.season.progress import pause_after, progress, watch, watching_backends
from services.shared.settings import Settings

SERVICES = ("intake", "verification", "disbursement", "employment")


@dataclass
class Marks:
    """When each stage of the season was complete (monotonic seconds), peak RSS per service, and
    the CPU seconds each part of the system had used at the first filing and when all was paid."""

    first_filed: float | None = None
    filed: float | None = None
    reviewed: float | None = None
    decided: float | None = None
    paid: float | None = None
    peak_rss_kb: dict[str, int] = field(default_factory=dict)
    cpu_at_first_filing: dict[str, float] = field(default_factory=dict)
    cpu_when_paid: dict[str, float] = field(default_factory=dict)

    def sample_processes(self, watching: frozenset[int] = frozenset()) -> dict[str, float]:
        """The processes' figures now; `watching`: the harness's own PostgreSQL processes."""
        rss, cpu = processes(watching)
        for name, kb in rss.items():
            self.peak_rss_kb[name] = max(kb, self.peak_rss_kb.get(name, 0))
        return cpu

    def cpu_ms_per(self, applications: int) -> dict[str, float]:
        """CPU per application of each part, from the first filing to the last payment."""
        return {part: (self.cpu_when_paid.get(part, 0.0) - self.cpu_at_first_filing.get(part, 0.0)) * 1000
                / applications for part in CPU_PARTS}


CPU_PARTS = (*SERVICES, "PostgreSQL", "Kafka", "bench harness (staff, bank, sampling)")


def processes(watching_backends: frozenset[int] = frozenset()) -> tuple[dict[str, int], dict[str, float]]:
    """VmHWM (peak resident set, kB) of each running `jinqiu service NAME` process, and the CPU
    seconds used so far by each service, by PostgreSQL (its processes, and the children that
    have exited), by the Kafka broker and by this harness (with the PostgreSQL processes serving
    its own counting, `watching_backends`: 11-14% of the database's statement time at 10,000)."""
    rss: dict[str, int] = {}
    cpu: dict[str, float] = dict.fromkeys(CPU_PARTS, 0.0)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            comm, own, children = process_cpu(proc.name)
            if b"service" in cmdline and cmdline[-2:-1] and cmdline[-2].decode() in SERVICES:
                name = cmdline[-2].decode()
                cpu[name] += own
                rss[name] = memory_kb(proc.name, "VmHWM")
            elif comm == "postgres":
                cpu[CPU_PARTS[-1] if int(proc.name) in watching_backends else "PostgreSQL"] += own + children
            elif any(b"kafka.Kafka" in part for part in cmdline):
                cpu["Kafka"] += own
    times = os.times()
    cpu[CPU_PARTS[-1]] += times.user + times.system
    return rss, cpu


async def _sample(database_url: str, total: int, marks: Marks) -> None:
    """How far the season got, every quarter second while counting is cheap, then as often as
    keeps the counting a twentieth of the database's work (`pause_after`: the stage marks are
    that precise); every eight samples, the services' peak RSS (a high-water mark)."""
    conn = await watch(database_url)
    try:
        for tick in itertools.count():
            now = time.monotonic()
            if tick % 8 == 0:
                marks.sample_processes()
            with contextlib.suppress(asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                filed = await conn.fetchval("SELECT count(*) FROM intake.applications WHERE filed_by_org IS NOT NULL")
                if filed and marks.first_filed is None:
                    marks.first_filed, marks.cpu_at_first_filing = now, marks.sample_processes(await watching_backends(conn))
                if filed >= total and marks.filed is None:
                    marks.filed = now
                p = await progress(conn)
                if p.reviewed >= total and marks.reviewed is None:
                    marks.reviewed = now
                if p.decided >= total and marks.decided is None:
                    marks.decided = now
                if marks.decided and p.payments == p.payable and p.in_flight == 0 and marks.paid is None:
                    marks.paid, marks.cpu_when_paid = now, marks.sample_processes(await watching_backends(conn))
            await asyncio.sleep(pause_after(time.monotonic() - now))
    finally:
        marks.sample_processes()
        await conn.close()


async def _latency(database_url: str) -> tuple[float, float]:
    """Submit → verdict (the review's first outcome) over all applications, p50 and p99 in ms."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
            FROM (SELECT extract(epoch FROM v.at - a.submitted_at) * 1000 AS ms
                  FROM intake.applications a
                  JOIN (SELECT substr(stream_id, 8) AS application_id, min(recorded_at) AS at
                        FROM verification.events WHERE version = 2 GROUP BY 1) v USING (application_id)) t""")
        return float(row["p50"] or 0), float(row["p99"] or 0)
    finally:
        await conn.close()


async def run_bench(settings: Settings, applications: int, out: Path, console: Console,
                    offered_rate: float | None = None) -> None:
    console.print("baselines: Kafka produce/consume, PostgreSQL inserts …")
    produced, consumed = await kafka_produce_and_consume(settings, 100_000)
    single, many, copied = await postgres_inserts(settings.database_url, 50_000)
    season = generate(applications, 2023)
    if offered_rate is not None:
        console.print(f"filings offered at {offered_rate:,.0f}/s whatever the answers (open load); "
                      "filed per second below that means the system could not keep up")
    total = len(season.applications) + len(season.refiled_by_city)
    marks = Marks()
    sampler = asyncio.create_task(_sample(settings.database_url, total, marks))
    started = time.monotonic()
    try:
        outcome = await play(settings, season, out, console, offered_rate=offered_rate)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    p50, p99 = await _latency(settings.database_url)
    hops = await submit_to_verdict(settings)
    audit_started = time.perf_counter()
    with (out / "ledger.jsonl").open("rb") as f:
        audit = verify_lines(f)
    audit_rate = Rate("jinqiu audit verify (one core)", audit.entries, time.perf_counter() - audit_started)
    cpu_ms = marks.cpu_ms_per(total)
    _print(console, applications, total, started, marks, outcome.progress.payable, (p50, p99), hops, audit_rate,
           audit.passed and outcome.audit.passed, [produced, consumed, single, many, copied])
    _print_cpu(console, cpu_ms, capacity=offered_rate is None)


def _print(console: Console, applications: int, total: int, started: float, marks: Marks, payable: int,
           latency: tuple[float, float], hops: list[Hop], audit: Rate, audited: bool,
           baselines: list[Rate]) -> None:
    produce = baselines[0].per_second
    table = Table(title=f"jinqiu bench: {applications} applications ({total} filings) on 2 cores")
    for column in ("what", "count", "seconds", "per second", "÷ bare produce", "p50 / p99 ms", "peak RSS MB"):
        table.add_column(column, justify="right" if column != "what" else "left")
    for rate in baselines:
        table.add_row(f"[dim]{rate.what}[/dim]", f"{rate.count:,}", f"{rate.seconds:.2f}", f"{rate.per_second:,.0f}",
                      "", "", "")
    first = marks.first_filed or started
    stages = [("filed over HTTP (intake)", total, marks.filed), ("reviewed (verification)", total, marks.reviewed),
              ("decided after notice", total, marks.decided), ("paid or parked (disbursement)", payable, marks.paid)]
    for what, count, done in stages:
        seconds = (done - first) if done else float("nan")
        rate = count / seconds if done and seconds > 0 else 0.0
        reviewed = what.startswith("reviewed")
        table.add_row(what, f"{count:,}", f"{seconds:.1f}", f"{rate:,.0f}", f"{rate / produce:.4f}" if produce else "",
                      f"{latency[0]:.0f} / {latency[1]:.0f}" if reviewed else "", "")
        if reviewed:
            for hop in hops:
                table.add_row(f"  of which {hop.what}", "", "", "", "", f"{hop.p50_ms:.0f} / {hop.p99_ms:.0f}", "")
    for name in SERVICES:
        kb = marks.peak_rss_kb.get(name)
        table.add_row(f"service {name}", "", "", "", "", "", f"{kb / 1024:.0f}" if kb else "?")
    table.add_row(audit.what, f"{audit.count:,}", f"{audit.seconds:.2f}", f"{audit.per_second:,.0f}", "", "",
                  "passed" if audited else "FAILED")
    console.print(table)
    console.print("stage times run from the first filing; decided/paid include the demo's manual reviews and "
                  "the clock tick that ends public notice")


def _print_cpu(console: Console, cpu_ms: dict[str, float], capacity: bool = True) -> None:
    """Where the two cores went per application, from the first filing to the last payment (the
    stages timed above), and, at full load, the rate that caps on two cores (under a lighter,
    offered load events travel in smaller batches and cost more each: no capacity to read)."""
    table = Table(title="CPU per application, first filing → last payment")
    table.add_column("part")
    table.add_column("CPU ms per application", justify="right")
    for part, ms in cpu_ms.items():
        table.add_row(part, f"{ms:.2f}")
    system = sum(ms for part, ms in cpu_ms.items() if part != CPU_PARTS[-1])
    table.add_row("the system (all but the harness)", f"{system:.2f}")
    console.print(table)
    if not system:
        console.print("no CPU figures (processes not found)")
    elif capacity:
        console.print(f"two cores can carry at most {2000 / system:,.0f} applications/s at {system:.2f} ms each")
    else:
        console.print(f"{system:.2f} ms each at the offered rate; events travel in smaller batches than at full "
                      "load and cost more each, so this is no measure of capacity")

