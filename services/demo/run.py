"""`jinqiu demo`: plays a synthetic Bozhou season through the four running services."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from contracts.base import Event
from deploy.local import free_port
from services.audit.verify import AuditReport, verify_lines
from services.demo import results
from services.demo.bank import BankSimulator
from services.demo.season import Season
from services.shared.kafka import make_producer
from services.shared.settings import Settings
from services.system import IntakeHttp, prepare_broker, start_services, stop_services


@dataclass(frozen=True)
class DemoOutcome:
    seconds: float
    progress: results.Progress
    refused: int
    rejected: int
    ledger_lines: int
    audit: AuditReport


async def publish_as_unions(producer: AIOKafkaProducer, events: list[Event], namespace: str = "") -> None:
    """Union levels publishing their own facts, each under its own org code."""
    sends = []
    for event in events:
        org = getattr(event, "org_code", None) or getattr(event, "from_org", None)
        envelope = event.to_envelope(source=f"/union/{org}", orgcode=org, correlationid=str(uuid.uuid4()))
        sends.append(await producer.send(event.TOPIC.physical(namespace), envelope.to_bytes(), key=event.key.encode(),
                                         headers=[("content-type", b"application/cloudevents+json")]))
    await asyncio.gather(*sends)


async def wait_until(conn: asyncpg.Connection, done, what: str, timeout: float, on_tick=None) -> results.Progress:
    deadline = time.monotonic() + timeout
    while True:
        state = await results.progress(conn)
        if on_tick:
            on_tick(state)
        if done(state):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}: {state}")
        await asyncio.sleep(0.1)


async def file_applications(url: str, season: Season, bar: Progress) -> int:
    """Posts every form; returns how many intake refused (422), which must be exactly the typos."""
    forms = season.applications + season.mistyped
    task = bar.add_task("提交申请 filing", total=len(forms))
    limit = asyncio.Semaphore(24)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        async def post(form: dict) -> bool:
            async with limit:
                response = await client.post("/v1/applications", json=form)
                bar.advance(task)
                if response.status_code == 422:
                    return False
                response.raise_for_status()
                return True

        accepted = await asyncio.gather(*(post(form) for form in forms))
    refused = accepted.count(False)
    if refused != len(season.mistyped):
        raise RuntimeError(f"intake refused {refused} forms, expected {len(season.mistyped)}")
    return refused


async def play(settings: Settings, season: Season, out: Path, console: Console) -> DemoOutcome:
    started = time.monotonic()
    await prepare_broker(settings)
    bank = BankSimulator(settings, season.failing_cards)
    producer = make_producer(settings)
    await producer.start()
    # Union levels publish funds and registry while the services join their consumer groups.
    runtimes, *_ = await asyncio.gather(
        start_services(settings), bank.start(), publish_as_unions(producer, season.funds + season.registry, settings.namespace)
    )
    http = IntakeHttp(runtimes["intake"], "127.0.0.1", free_port())
    conn = await asyncpg.connect(settings.database_url)
    try:
        await http.start()
        signed = sum(1 for e in season.registry if type(e).__name__ == "HouseholdCheckAuthorizationSigned")
        opened = sum(1 for e in season.registry if type(e).__name__ == "HardshipFileOpened")
        await wait_until(conn, lambda p: p.households == opened and p.authorizations == signed
                         and p.ledger_entries >= len(season.funds), "registry and funds", 60)
        n = len(season.applications)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            refused = await file_applications(http.url, season, bar)
            decided = bar.add_task("审核 decided", total=n)
            paid = bar.add_task("发放 paid or parked", total=None)

            def tick(p: results.Progress) -> None:
                bar.update(decided, completed=p.decided)
                bar.update(paid, completed=p.settled + p.failed + p.awaiting_funds, total=p.approved or None)

            await wait_until(conn, lambda p: p.decided == n and p.payments == p.approved and p.in_flight == 0,
                             "every application decided and paid or parked", 60 + n / 20, tick)
        await publish_as_unions(producer, season.progress_events(), settings.namespace)
        expected = len(season.progress_events())
        final = await wait_until(conn, lambda p: p.graduates_progressed >= expected, "employment progress", 30)
        rows = await results.decision_rows(conn)
        results.write_decisions(out / "decisions.csv", rows)
        lines = await results.write_ledger(conn, out / "ledger.jsonl")
    finally:
        await conn.close()
        await asyncio.gather(http.stop(), bank.stop(), producer.stop(), return_exceptions=True)
        await stop_services(runtimes)
    with (out / "ledger.jsonl").open(encoding="utf-8") as f:
        audit = verify_lines(f)
    rejected = sum(1 for r in rows if r["decision"] == "rejected")
    return DemoOutcome(time.monotonic() - started, final, refused, rejected, lines, audit)
