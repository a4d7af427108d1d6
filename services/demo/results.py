"""What a season produced, read from the services' schemas: progress counts and the outputs."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from services.disbursement.ledger import export_line
from services.reports.annexes import ANNEXES
from services.reports.queries import report_rows
from services.shared.orgs import OrgTree

DECISION_COLUMNS = ("application_id", "decision", "amount_fen", "fund_source", "reasons",
                    "payment_status", "rule_id", "policy_version", "org_code", "duplicate_of")


@dataclass(frozen=True)
class Progress:
    reviewed: int
    manual_reviews: int
    in_notice: int
    clock_set: bool
    decided: int
    approved: int
    payable: int
    payments: int
    settled: int
    failed: int
    awaiting_funds: int
    in_flight: int
    ledger_entries: int
    households: int
    graduates: int
    graduates_progressed: int


async def progress(conn: asyncpg.Connection) -> Progress:
    row = await conn.fetchrow("""
        SELECT (SELECT count(*) FROM verification.reviews) AS reviewed,
               (SELECT count(*) FROM verification.reviews WHERE status = 'manual_review') AS manual_reviews,
               (SELECT count(*) FROM verification.reviews WHERE status = 'in_notice') AS in_notice,
               EXISTS (SELECT 1 FROM verification.clock) AS clock_set,
               (SELECT count(*) FROM verification.decisions) AS decided,
               (SELECT count(*) FROM verification.decisions WHERE decision = 'approved') AS approved,
               (SELECT count(*) FROM verification.decisions WHERE decision = 'approved' AND amount_fen > 0)
                   AS payable,
               (SELECT count(*) FROM disbursement.payments) AS payments,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'settled') AS settled,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'failed') AS failed,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'awaiting_funds') AS awaiting_funds,
               (SELECT count(*) FROM disbursement.payments WHERE status = 'instructed') AS in_flight,
               (SELECT sequence FROM disbursement.ledger_head) AS ledger_entries,
               (SELECT count(*) FROM verification.hardship_files) AS households,
               (SELECT count(*) FROM employment.graduates) AS graduates,
               (SELECT count(*) FROM employment.graduates WHERE jsonb_array_length(history) > 0)
                   AS graduates_progressed
    """)
    return Progress(**dict(row))


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


async def write_ledger(conn: asyncpg.Connection, path: Path) -> int:
    rows = await conn.fetch("SELECT * FROM disbursement.ledger_entries ORDER BY sequence")
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(export_line(row).to_json() + "\n")
    return len(rows)


async def write_reports(conn: asyncpg.Connection, folder: Path, tree: OrgTree, year: int) -> list[Path]:
    """附件7/8/9 as .xlsx in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = await report_rows(conn)
    written = []
    for name, (filename, render) in ANNEXES.items():
        (folder / filename).write_bytes(render(rows[name], tree, year))
        written.append(folder / filename)
    return written
