"""`jinqiu demo`: plays a synthetic Bozhou season through the four running services.

Union levels publish funds, hardship files and authorizations; county staff file over HTTP with
their own API tokens; the city re-files some students (duplicates), reviews relatives of staff,
and handles objections during public notice; the campaign clock then ends the notice period,
and grants are paid and settled by a simulated bank.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from contracts.checkpoint import head_problem, public_key_hex
from contracts.reviews import ClockTicked
from deploy.local import signing_keys
from deploy.ports import free_port
from services.audit.verify import AuditReport, load_evidence, verify_lines
from services.demo.bank import BankSimulator
from services.demo.employment import Desk, play_employment
from services.demo.season import CITY, COUNTIES, DESTINATION, PROVINCE, YEAR, Season, employment_plan, replacement_card
from services.demo.staff_http import Answer, StaffHttp
from services.reports import outputs
from services.season.progress import SeasonProgress, wait_until, watch
from services.season.publishing import Publishers
from services.shared.authority import Authority
from services.shared.policy import BUNDLED_POLICIES, load_book
from services.shared.settings import Settings, ledger_secret
from services.system import ServiceProcesses, prepare_broker

FILING_DAY = dt.date(YEAR, 8, 14)  # within the filing window (the notice: 8月20日前); notices start as reviewed
NOTICE_OVER = dt.date(YEAR, 8, 27)


@dataclass(frozen=True)
class DemoOutcome:
    seconds: float
    progress: SeasonProgress
    refused: int
    reissued: int
    rejected: int
    ledger_lines: int
    audit: AuditReport
    employment: dict


def demo_tokens() -> dict:
    """API tokens for each union's staff, made fresh for this run."""
    roles = {PROVINCE: ("finance", "省总财务"), CITY: ("reviewer", "市总审核员"), DESTINATION: ("clerk", "合肥市总经办人"),
             **{county: ("clerk", "县总经办人") for county in COUNTIES}}
    return {secrets.token_urlsafe(16): {"org": org, "user": f"staff-{org}", "name": name, "role": role}
            for org, (role, name) in roles.items()}


async def keep_serving(url: str, tokens: dict, console: Console) -> None:
    """`jinqiu demo --serve`: the console stays up with the season's data until Ctrl-C."""
    console.print(f"[bold]控制台 console: {url}/login[/bold]  公示 board: {url}/notice/{CITY}  "
                  f"网上申报 self-service: {url}/self")
    for token, p in tokens.items():
        if p["org"] in (PROVINCE, CITY, next(iter(COUNTIES))):
            console.print(f"  {p['name']}（{p['org']}）: 账号 {p['user']}  口令 {token}")
    console.print("Ctrl-C (or SIGTERM) to stop")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


class Staff:
    """Union staff at their desks: one HTTP client, each request under its union's token."""

    def __init__(self, http: StaffHttp) -> None:
        self.http = http

    async def post(self, org: str, path: str, body: dict, patience: float = 120.0) -> Answer:
        """As staff do: an act refused with 409 because intake's view has not caught up with the
        review yet is tried again a moment later (for up to two minutes: after a broker restart
        intake's consumers take a while to rejoin)."""
        deadline = time.monotonic() + patience
        while True:
            response = await self.http.post(org, path, body)
            if response.status_code != 409 or time.monotonic() > deadline:
                return response
            await asyncio.sleep(0.1)


async def file_applications(staff: Staff, season: Season, bar: Progress,
                            offered_rate: float | None = None) -> tuple[dict[str, str], int]:
    """Counties file their forms, the city re-files some; returns submission → application id, and
    how many intake refused (422), which must be exactly the mistyped forms. Staff file 24 at a
    time as fast as intake answers, or, with `offered_rate`, one filing every 1/rate seconds
    whether or not the earlier ones were answered (an open load: latency at a given peak)."""
    filings = [(f["org_code"], f) for f in season.applications + season.mistyped]
    filings += [(CITY, f) for f in season.refiled_by_city]
    task = bar.add_task("提交申请 filing", total=len(filings))
    limit = asyncio.Semaphore(24) if offered_rate is None else contextlib.nullcontext()
    begun = time.monotonic()

    async def post(number: int, org: str, form: dict) -> tuple[str, str | None]:
        if offered_rate is not None:
            await asyncio.sleep(begun + number / offered_rate - time.monotonic())
        async with limit:
            response = await staff.post(org, "/v1/applications", form)
            bar.advance(task)
            if response.status_code == 422:
                return form["submission_id"], None
            response.raise_for_status()
            return form["submission_id"], response.json()["application_id"]

    filed = dict(await asyncio.gather(*(post(i, org, form) for i, (org, form) in enumerate(filings))))
    refused = sum(1 for v in filed.values() if v is None)
    if refused != len(season.mistyped):
        raise RuntimeError(f"intake refused {refused} forms, expected {len(season.mistyped)}")
    return filed, refused


async def city_reviews(staff: Staff, season: Season, ids: dict[str, str], conn: asyncpg.Connection) -> None:
    """The city decides on relatives of staff, and records and resolves objections during notice."""
    for submission, outcome in season.relatives.items():
        (await staff.post(CITY, f"/v1/applications/{ids[submission]}/review", {"outcome": outcome})).raise_for_status()
    for submission, outcome in season.objections.items():
        app = ids[submission]
        raised = await staff.post(CITY, f"/v1/applications/{app}/objections", {"summary": "群众反映家庭收入情况不实"})
        raised.raise_for_status()
        objection = raised.json()["id"]
        await _until(lambda objection=objection: conn.fetchval(
            "SELECT count(*) FROM verification.objections WHERE objection_id = $1", objection))
        (await staff.post(CITY, f"/v1/applications/{app}/objections/{objection}/resolution",
                          {"outcome": outcome, "note": "经核实"})).raise_for_status()


async def correct_refused_cards(staff: Staff, conn: asyncpg.Connection) -> int:
    """Counties give a working card for every payment the bank refused; the grant goes out again."""
    refused = await conn.fetch("SELECT application_id, org_code FROM disbursement.payments WHERE status = 'failed'")
    for row in refused:
        response = await staff.post(row["org_code"], f"/v1/applications/{row['application_id']}/bank-card",
                                    {"bank_card": replacement_card(row["application_id"])})
        response.raise_for_status()
    return len(refused)


async def _until(probe: Callable, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await probe():
        if time.monotonic() > deadline:
            raise TimeoutError("the services did not catch up")
        await asyncio.sleep(0.05)


async def play(settings: Settings, season: Season, out: Path, console: Console,
               crash: bool = False, serve: bool = False, offered_rate: float | None = None) -> DemoOutcome:
    """The season; with `crash`, verification and disbursement are killed mid-flight and restarted."""
    started = time.monotonic()
    tokens = demo_tokens()
    keys = settings.signing_keys or json.dumps(signing_keys())  # endpoints from outside may bring none
    settings = settings.model_copy(update={"api_tokens": json.dumps(tokens), "signing_keys": keys})
    authority = Authority.from_settings(settings)
    await prepare_broker(settings)
    bank = BankSimulator(settings, authority, season.failing_cards)
    publishers = Publishers(settings, authority)
    await publishers.start()
    opening = [*season.funds, *season.registry, ClockTicked(today=FILING_DAY)]
    services = ServiceProcesses(settings, out / "logs", free_port())
    conn = await watch(settings.database_url)
    try:
        # Union levels publish funds, registry and the date while the services start.
        await asyncio.gather(services.start(), bank.start(),
                             publishers.publish(opening))
        opened = sum(1 for e in season.registry if type(e).__name__ == "HardshipFileOpened")
        await wait_until(conn, lambda p: p.households == opened and p.clock_set
                         and p.ledger_entries >= len(season.funds), "registry and funds", 60)
        n = len(season.applications) + len(season.refiled_by_city)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        async with StaffHttp(services.url, {p["org"]: token for token, p in tokens.items()}) as http:
            staff = Staff(http)
            with Progress(*columns, console=console) as bar:
                ids, refused = await file_applications(staff, season, bar, offered_rate)
                if crash:
                    await services.crash_and_restart("verification")
                reviewed = bar.add_task("审核 reviewed", total=n)
                await wait_until(conn, lambda p: p.reviewed == n, "every review",
                                 60 + n / 20, lambda p: bar.update(reviewed, completed=p.reviewed))
                await city_reviews(staff, season, ids, conn)
                await wait_until(conn, lambda p: p.manual_reviews == 0, "manual reviews", 30)
                await publishers.publish([ClockTicked(today=NOTICE_OVER)])
                if crash:
                    await wait_until(conn, lambda p: p.settled > 0, "the first payments", 60)
                    await services.crash_and_restart("disbursement")
                decided = bar.add_task("公示结束 decided", total=n)
                paid = bar.add_task("发放 paid or parked", total=None)

                def tick(p: SeasonProgress) -> None:
                    bar.update(decided, completed=p.decided)
                    bar.update(paid, completed=p.settled + p.failed + p.awaiting_funds, total=p.payable or None)

                await wait_until(conn, lambda p: p.decided == n and p.payments == p.payable and p.in_flight == 0,
                                 "every application decided and paid or parked", 60 + n / 20, tick)
            reissued = await correct_refused_cards(staff, conn)
            await wait_until(conn, lambda p: p.failed == 0 and p.in_flight == 0, "re-issued payments", 60)

            async def tick(day: dt.date) -> None:
                await publishers.publish([ClockTicked(today=day)])
                await _until(lambda: conn.fetchval("SELECT today = $1 FROM intake.campaign_clock", day))

            employment = await play_employment(Desk(http), employment_plan(season), conn, tick)
        final = await wait_until(conn, lambda p: p.in_flight == 0 and p.subsidies_paid == employment["subsidies"],
                                 "employment subsidies settled", 60)
        await outputs.intake_caught_up(conn)
        await services.save_metrics()
        rows = await outputs.decision_rows(conn)
        outputs.write_decisions(out / "decisions.csv", rows)
        lines = await outputs.write_ledger(conn, out / "ledger.jsonl", ledger_secret(keys))
        await outputs.write_decision_events(conn, out / "decisions.jsonl")
        await outputs.write_donations(conn, out / "donations.jsonl")
        await outputs.write_reports(conn, out / "reports", authority.tree, load_book(settings.policy_files), YEAR,
                                    (PROVINCE, CITY))
        await outputs.write_national_export(conn, out / "reports", authority.tree, YEAR, CITY)
        if serve:
            await keep_serving(services.url, tokens, console)
    finally:
        await conn.close()
        await asyncio.gather(services.stop(), bank.stop(), publishers.stop(), return_exceptions=True)
    evidence = load_evidence(str(out / "decisions.jsonl"), str(BUNDLED_POLICIES), str(out / "donations.jsonl"))
    head = json.loads((out / "ledger.head.json").read_text(encoding="utf-8"))
    with (out / "ledger.jsonl").open(encoding="utf-8") as f:
        audit = verify_lines(f, evidence, head=(head["sequence"], head["hash"]))
    if problem := head_problem(head, public_key_hex(ledger_secret(keys))):
        audit.violations.append(problem)
    rejected = sum(1 for r in rows if r["decision"] == "rejected")
    return DemoOutcome(time.monotonic() - started, final, refused, reissued, rejected, lines, audit, employment)
