"""A season's outputs: decisions.csv, ledger.jsonl and the auditor's evidence from the owning
services' schemas; the reports from intake's projections of events."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from contracts.checkpoint import signed_head
from contracts.envelope import Envelope
from contracts.ledger_format import timestamp
from services.disbursement.ledger import export_line
from services.intake.national_export import national_workbook, paid_records
from services.intake.reports import report_workbook
from services.reports.annexes import REPORTS
from services.shared.orgs import OrgTree
from services.shared.policy import PolicyBook

DECISION_COLUMNS = ("application_id", "decision", "amount_fen", "fund_source", "reasons",
                    "payment_status", "rule_id", "policy_version", "org_code", "duplicate_of")


async def decision_rows(conn: asyncpg.Connection) -> list[dict]:
    """One row per reviewed application; `decision` is approved / rejected, or where the
    application still waits (manual_review, in_notice)."""
    rows = await conn.fetch("""
        SELECT r.application_id, COALESCE(d.decision, r.status) AS decision, COALESCE(d.amount_fen, 0) AS amount_fen,
               COALESCE(p.fund_account, '') AS fund_source,
               array_to_string(COALESCE(d.reasons, '{}') || COALESCE(ARRAY[p.reason], '{}'), ';') AS reasons,
               COALESCE(p.status, '') AS payment_status, COALESCE(d.rule_id, '') AS rule_id,
               COALESCE(d.policy_version, '') AS policy_version, r.org_code,
               COALESCE(d.duplicate_of, '') AS duplicate_of
        FROM verification.reviews r
        LEFT JOIN verification.decisions d USING (application_id)
        LEFT JOIN disbursement.payments p USING (application_id)
        ORDER BY r.org_code, r.application_id
    """)
    return [dict(r) for r in rows]


def write_decisions(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=DECISION_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


async def write_ledger(conn: asyncpg.Connection, path: Path, ledger_secret: str | None = None) -> int:
    """`ledger.jsonl`, and beside it `ledger.head.json`: the sequence and hash of the head, to
    publish (in the report to the level above) so that no later copy can be cut short unnoticed;
    signed with the ledger key (contracts/checkpoint.py) when disbursement's secret is given."""
    head = await conn.fetchrow("SELECT sequence, hash FROM disbursement.ledger_head")
    rows = await conn.fetch("SELECT * FROM disbursement.ledger_entries WHERE sequence <= $1 ORDER BY sequence",
                            head["sequence"])
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(export_line(row).to_json() + "\n")
    published = dict(head)
    if ledger_secret:
        published = signed_head(head["sequence"], head["hash"], timestamp(datetime.now(UTC)), ledger_secret)
    path.with_suffix(".head.json").write_text(json.dumps(published) + "\n", encoding="utf-8")
    return len(rows)


async def write_decision_events(conn: asyncpg.Connection, path: Path) -> int:
    """`decisions.jsonl`: every decision verification recorded, as the CloudEvent it published
    (v2, with the inputs it was decided on), in the order recorded."""
    rows = await conn.fetch("SELECT event_id, type, data, recorded_at FROM verification.events "
                            "WHERE type LIKE 'cn.jinqiu.application.verified.%' "
                            "OR type LIKE 'cn.jinqiu.application.rejected.%' ORDER BY position")
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"])
            envelope = Envelope(id=str(row["event_id"]), source="/jinqiu/verification", type=row["type"],
                                subject=data["application_id"], time=row["recorded_at"], data=data)
            f.write(envelope.to_json() + "\n")
    return len(rows)


async def write_donations(conn: asyncpg.Connection, path: Path) -> int:
    """`donations.jsonl`: each donation's fund account and its donor's intent, for the auditor."""
    rows = await conn.fetch("SELECT account, org_codes, stages, per_student_cap_fen FROM disbursement.donations "
                            "ORDER BY donation_id")
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(dict(row), ensure_ascii=False) + "\n")
    return len(rows)


async def intake_caught_up(conn: asyncpg.Connection, timeout: float = 60) -> None:
    """Reports come from intake's projections of events: wait until intake has followed the whole
    ledger (every posting chained), every decision and every graduate file."""
    deadline = time.monotonic() + timeout
    while not await conn.fetchval("""
        SELECT (SELECT coalesce(max(sequence), 0) FROM intake.ledger_view) = (SELECT sequence FROM disbursement.ledger_head)
           AND NOT EXISTS (SELECT 1 FROM disbursement.ledger_postings)
           AND (SELECT count(*) FROM intake.applications WHERE status <> 'submitted')
               >= (SELECT count(*) FROM verification.reviews)
           AND (SELECT coalesce(sum(jsonb_array_length(history)), 0) FROM intake.graduates_view)
               >= (SELECT count(*) FROM employment.events WHERE type LIKE '%graduate.recorded%')"""):
        if time.monotonic() > deadline:
            raise TimeoutError("intake's projections did not catch up with the ledger, decisions and graduates")
        await asyncio.sleep(0.5)


async def write_reports(conn: asyncpg.Connection, folder: Path, tree: OrgTree, book: PolicyBook, year: int,
                        tops: tuple[str, ...]) -> list[Path]:
    """附件7/8/9 and the stage report of each union in `tops`, as .xlsx in `folder`/<union code>,
    from intake's projections of events (as `jinqiu report` and the console make them)."""
    written = []
    async with conn.transaction():
        await conn.execute("SET LOCAL search_path TO intake")
        for top in tops:
            (folder / top).mkdir(parents=True, exist_ok=True)
            for name, (filename, _) in REPORTS.items():
                (folder / top / filename).write_bytes(await report_workbook(conn, tree, book, name, top, year))
                written.append(folder / top / filename)
    return written


async def write_national_export(conn: asyncpg.Connection, folder: Path, tree: OrgTree, year: int, top: str) -> Path:
    """Aid paid, for 工会帮扶工作管理系统 (docs/national-export.md)."""
    async with conn.transaction():
        await conn.execute("SET LOCAL search_path TO intake")
        records = await paid_records(conn, [c for c in tree.orgs if tree.may_act(top, c)])
    path = folder / top / f"帮扶记录_{top}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(national_workbook(records, tree, top, year))
    return path
