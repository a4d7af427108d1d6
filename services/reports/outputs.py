"""A season's outputs, read from the services' schemas: decisions.csv, ledger.jsonl, 附件7/8/9."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from contracts.checkpoint import signed_head
from contracts.envelope import Envelope
from contracts.ledger_format import timestamp
from services.disbursement.ledger import export_line
from services.reports.annexes import ANNEXES, annex
from services.reports.queries import report_rows
from services.shared.orgs import OrgTree

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


async def write_reports(conn: asyncpg.Connection, folder: Path, tree: OrgTree, year: int,
                        cohort: tuple[int, int] | None = None) -> list[Path]:
    """附件7/8/9 as .xlsx in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = await report_rows(conn)
    written = []
    for name, (filename, _) in ANNEXES.items():
        (folder / filename).write_bytes(annex(name, rows[name], tree, year, cohort=cohort))
        written.append(folder / filename)
    return written
