"""`jinqiu bench`: on one broker and one database, first the bare baselines, then a whole demo
season through the four services (HTTP filing, review, notice, payment, bank), sampled as it runs:
when each stage finished, submit → verdict latency, each service's peak RSS, and the audit rate
of the season's ledger. Prints one table; asserts nothing (a benchmark, not a test)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from services.audit.verify import verify_lines
from services.bench.baselines import Rate, kafka_produce_and_consume, postgres_inserts
from services.demo.run import play
from services.demo.season import generate
from services.season.progress import progress
from services.shared.settings import Settings

SERVICES = ("intake", "verification", "disbursement", "employment")


@dataclass
class Marks:
    """When each stage of the season was complete (monotonic seconds), and peak RSS per service."""

    first_filed: float | None = None
    filed: float | None = None
    reviewed: float | None = None
    decided: float | None = None
    paid: float | None = None
    peak_rss_kb: dict[str, int] = field(default_factory=dict)


def _peak_rss() -> dict[str, int]:
    """VmHWM (peak resident set) of each running `jinqiu service NAME` process, in kB."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if b"service" in cmdline and cmdline[-2:-1] and cmdline[-2].decode() in SERVICES:
                name = cmdline[-2].decode()
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        found[name] = int(line.split()[1])
    return found


async def _sample(database_url: str, total: int, marks: Marks) -> None:
    """Every quarter second, how far the season got (the stage marks are that precise); every
    two seconds, the services' peak RSS (a high-water mark: sampling it often adds nothing but
    load on the machine being measured)."""
    conn = await asyncpg.connect(database_url)
    try:
        for tick in itertools.count():
            now = time.monotonic()
            if tick % 8 == 0:
                for name, kb in _peak_rss().items():
                    marks.peak_rss_kb[name] = max(kb, marks.peak_rss_kb.get(name, 0))
            with contextlib.suppress(asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                filed = await conn.fetchval("SELECT count(*) FROM intake.applications WHERE filed_by_org IS NOT NULL")
                if filed and marks.first_filed is None:
                    marks.first_filed = now
                if filed >= total and marks.filed is None:
                    marks.filed = now
                p = await progress(conn)
                if p.reviewed >= total and marks.reviewed is None:
                    marks.reviewed = now
                if p.decided >= total and marks.decided is None:
                    marks.decided = now
                if marks.decided and p.payments == p.payable and p.in_flight == 0 and marks.paid is None:
                    marks.paid = now
            await asyncio.sleep(0.25)
    finally:
        for name, kb in _peak_rss().items():
            marks.peak_rss_kb[name] = max(kb, marks.peak_rss_kb.get(name, 0))
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


async def run_bench(settings: Settings, applications: int, out: Path, console: Console) -> None:
    console.print("baselines: Kafka produce/consume, PostgreSQL inserts …")
    produced, consumed = await kafka_produce_and_consume(settings, 100_000)
    single, many, copied = await postgres_inserts(settings.database_url, 50_000)
    season = generate(applications, 2023)
    total = len(season.applications) + len(season.refiled_by_city)
    marks = Marks()
    sampler = asyncio.create_task(_sample(settings.database_url, total, marks))
    started = time.monotonic()
    try:
        outcome = await play(settings, season, out, console)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    p50, p99 = await _latency(settings.database_url)
    audit_started = time.perf_counter()
    with (out / "ledger.jsonl").open("rb") as f:
        audit = verify_lines(f)
    audit_rate = Rate("jinqiu audit verify (one core)", audit.entries, time.perf_counter() - audit_started)
    _print(console, applications, total, started, marks, outcome.progress.payable, (p50, p99), audit_rate,
           audit.passed and outcome.audit.passed, [produced, consumed, single, many, copied])


def _print(console: Console, applications: int, total: int, started: float, marks: Marks, payable: int,
           latency: tuple[float, float], audit: Rate, audited: bool, baselines: list[Rate]) -> None:
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
        table.add_row(what, f"{count:,}", f"{seconds:.1f}", f"{rate:,.0f}", f"{rate / produce:.4f}" if produce else "",
                      f"{latency[0]:.0f} / {latency[1]:.0f}" if what.startswith("reviewed") else "", "")
    for name in SERVICES:
        kb = marks.peak_rss_kb.get(name)
        table.add_row(f"service {name}", "", "", "", "", "", f"{kb / 1024:.0f}" if kb else "?")
    table.add_row(audit.what, f"{audit.count:,}", f"{audit.seconds:.2f}", f"{audit.per_second:,.0f}", "", "",
                  "passed" if audited else "FAILED")
    console.print(table)
    console.print("stage times run from the first filing; decided/paid include the demo's manual reviews and "
                  "the clock tick that ends public notice")
