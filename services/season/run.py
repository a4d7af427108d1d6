"""`jinqiu season run`: a union's own files through the four running services.

The registry and fund files are published as the union levels' events; each applications
spreadsheet goes through intake's bulk import over HTTP; the campaign clock is set to `today`
(and, with `close_notice`, moved past the notice period so clean notices end). Outputs:
decisions.csv, ledger.jsonl, import_report.json and one errors.xlsx per spreadsheet with bad rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console

from contracts.employment import JobFairHeld
from contracts.reviews import ClockTicked
from deploy.ports import free_port
from services.reports import outputs
from services.season.employment_files import employment_paths, read_employment_file
from services.season.progress import SeasonProgress, wait_until, watch
from services.season.publishing import Publishers
from services.season.registry_files import FileProblem, application_paths, read_registry_file, registry_paths
from services.shared.authority import Authority
from services.shared.policy import load_book
from services.shared.settings import Settings, ledger_secret
from services.system import ServiceProcesses, prepare_broker


async def publish_employment(conn: asyncpg.Connection, publishers: Publishers, input_dir: Path,
                             problems: list[FileProblem]) -> dict[str, int]:
    """The 阳光就业 files, after the applications (whose students they name) are decided: the
    job fairs first (recommendations name their posts), then the acts on graduates in file
    order; waits until employment has handled each (accepted, or refused to the dead letters)."""
    acts: list = []
    for path in employment_paths(input_dir):
        found, bad = read_employment_file(path)
        acts += found
        problems += bad
    fairs = [e for e in acts if isinstance(e, JobFairHeld)]
    recorded_before = await _accepted_acts(conn)
    ids = await publishers.publish(fairs)
    await _handled(conn, ids)
    ids += await publishers.publish([e for e in acts if not isinstance(e, JobFairHeld)])
    await _handled(conn, ids)
    await _until(conn, "SELECT (SELECT count(*) FROM employment.events WHERE type LIKE 'cn.jinqiu.subsidy.approved.%') "
                       "<= (SELECT count(*) FROM disbursement.payments WHERE application_id LIKE 'SUB-%')",
                 "subsidies approved, not yet with disbursement")
    accepted = await _accepted_acts(conn) - recorded_before
    return {"published": len(ids), "accepted": accepted, "refused": len(ids) - accepted}


async def _accepted_acts(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT (SELECT count(*) FROM employment.job_fairs) + (SELECT count(*) FROM "
                               "employment.events WHERE type LIKE 'cn.jinqiu.graduate.recorded.%')")


async def _handled(conn: asyncpg.Connection, ids: list[str]) -> None:
    await _until(conn, f"SELECT count(*) = {len(ids)} FROM employment.inbox WHERE event_id = ANY($1)",
                 "阳光就业 file rows not handled by the employment service", ids)


async def _until(conn: asyncpg.Connection, sql: str, what: str, *args, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not await conn.fetchval(sql, *args):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting: {what}")
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class SeasonOutcome:
    rows: int
    accepted: int
    refused: int
    registry_problems: list[FileProblem]
    import_seconds: float
    import_to_last_decision: float
    progress: SeasonProgress
    ledger_lines: int
    employment: dict


async def run_season(settings: Settings, input_dir: Path, out: Path, org: str, today: dt.date,
                     close_notice: bool, console: Console) -> SeasonOutcome:
    token = secrets.token_urlsafe(16)
    settings = settings.model_copy(update={"api_tokens": json.dumps({token: {"org": org, "user": "season-run"}})})
    authority = Authority.from_settings(settings)
    events, problems = [], []
    for path in registry_paths(input_dir):
        found, bad = read_registry_file(path)
        events += found
        problems += bad
    await prepare_broker(settings)
    publishers = Publishers(settings, authority)
    await publishers.start()
    services = ServiceProcesses(settings, out / "logs", free_port())
    conn = await watch(settings.database_url)
    reports, file_errors = [], []
    try:
        await asyncio.gather(services.start(),
                             publishers.publish([*events, ClockTicked(today=today)]))
        opened = sum(1 for e in events if type(e).__name__ == "HardshipFileOpened")
        funds = sum(1 for e in events if type(e).__name__ == "FundAllocated")
        await wait_until(conn, lambda p: p.households >= opened and p.clock_set and p.ledger_entries >= funds,
                         "registry and funds", 120)
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=services.url, timeout=600,
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            for path in application_paths(input_dir):
                console.print(f"导入 importing {path.name} …")
                response = await client.post("/v1/imports", files={"file": (path.name, path.read_bytes())})
                if response.status_code in (413, 422):  # the whole file refused: say why, go on
                    error = response.json()["errors"][0]
                    console.print(f"[red]{path.name}: {error['message']} ({error['code']})[/red]")
                    file_errors.append({"file": path.name, **error})
                    continue
                response.raise_for_status()
                report = response.json()
                reports.append(report)
                if report["refused"]:
                    errors = await client.get(f"/v1/imports/{report['import_id']}/errors.xlsx")
                    (out / f"errors-{path.stem}.xlsx").write_bytes(errors.content)
        imported = time.monotonic()
        accepted = sum(r["accepted"] + r["already_filed"] for r in reports)
        await wait_until(conn, lambda p: p.reviewed >= accepted, "every filed application reviewed", 120 + accepted / 20)
        if close_notice:
            after = today + dt.timedelta(days=max(p.notice_days for p in load_book(settings.policy_files).by_key.values()))
            await publishers.publish([ClockTicked(today=after)])
            await wait_until(conn, lambda p: p.in_notice == 0, "notices to end", 120 + accepted / 20)
        final = await wait_until(conn, lambda p: p.payments == p.payable, "payments recorded", 120 + accepted / 20)
        last_decision = time.monotonic()
        employment = await publish_employment(conn, publishers, input_dir, problems)
        outputs.write_decisions(out / "decisions.csv", await outputs.decision_rows(conn))
        lines = await outputs.write_ledger(conn, out / "ledger.jsonl", ledger_secret(settings.signing_keys))
        await outputs.write_decision_events(conn, out / "decisions.jsonl")
        await outputs.write_donations(conn, out / "donations.jsonl")
        await outputs.intake_caught_up(conn)
        await outputs.write_reports(conn, out / "reports", authority.tree, load_book(settings.policy_files),
                                    today.year, (org,))
    finally:
        await conn.close()
        await asyncio.gather(services.stop(), publishers.stop(), return_exceptions=True)
    (out / "import_report.json").write_text(json.dumps(
        {"imports": reports, "refused_files": file_errors, "registry_problems": [p.__dict__ for p in problems],
         "employment": employment}, ensure_ascii=False, indent=2),
        encoding="utf-8")
    return SeasonOutcome(rows=sum(r["rows"] for r in reports), accepted=accepted,
                         refused=sum(r["refused"] for r in reports), registry_problems=problems,
                         import_seconds=imported - started, import_to_last_decision=last_decision - started,
                         progress=final, ledger_lines=lines, employment=employment)
