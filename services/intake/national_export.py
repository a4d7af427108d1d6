"""Aid paid to filed households, for entry into 工会帮扶工作管理系统 (the notice: 及时录入). The
layout is documented in docs/national-export.md; one row per live grant, from intake's own
records: the filing as intake stored it, its status, and the grant as the ledger published it."""

from __future__ import annotations

import io
import json

import asyncpg
from openpyxl import Workbook
from openpyxl.styles import Font

from services.shared.labels import CATEGORY, FUND_SOURCE, PROGRAM, SCHOOL_STAGE, STATUS
from services.shared.orgs import OrgTree

COLUMNS = ("序号", "申请编号", "困难职工档案编号", "职工姓名", "职工身份证号", "学生姓名", "学生身份证号", "就读学校", "学段",
           "帮扶类别", "帮扶项目", "资金来源", "发放金额（元）", "发放状态", "办理工会代码", "办理工会", "账本流水号",
           "记账时间")
PAID = ["paid", "reissued", "settled"]

_ROWS = """
    SELECT a.application_id, a.org_code, a.status, a.amount_fen, a.paid_from, e.data AS filing,
           g.transfer_id, g.recorded_at
    FROM applications a
    LEFT JOIN events e ON e.stream_id = 'application-' || a.application_id AND e.version = 1
    LEFT JOIN LATERAL (  -- each application's latest grant, found through the index by application
        SELECT transfer_id, recorded_at FROM ledger_view l
        WHERE l.application_id = a.application_id AND l.kind = 'grant' ORDER BY l.sequence DESC LIMIT 1) g ON true
    WHERE a.org_code = ANY($1) AND a.status = ANY($2)
    ORDER BY a.org_code, a.application_id
"""


async def paid_records(conn: asyncpg.Connection | asyncpg.Pool, orgs: list[str]) -> list[dict]:
    return [dict(r) for r in await conn.fetch(_ROWS, orgs, PAID)]


def national_workbook(records: list[dict], tree: OrgTree, top: str, year: int) -> bytes:
    """Filings that reached intake only from another union system (not filed here) lack the
    personal data intake never held: their name columns say so, to be completed by hand."""
    book = Workbook()
    sheet = book.active
    sheet.title = "帮扶记录"
    sheet.append([f"{year}年金秋助学资助发放记录（工会帮扶工作管理系统录入用）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"填报单位：{tree.name(top)}", f"记录数：{len(records)}",
                  f"发放金额合计（元）：{sum(r['amount_fen'] or 0 for r in records) / 100:.2f}"])
    sheet.append(list(COLUMNS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for n, r in enumerate(records, start=1):
        f = json.loads(r["filing"]) if isinstance(r["filing"], str) else r["filing"] or {}
        worker, student = f.get("worker", {}), f.get("student", {})
        missing = "（他系统报送，需补录）" if not f else ""
        source = (r["paid_from"] or "::").split(":")[1]
        sheet.append([n, r["application_id"], f.get("household_id") or "", worker.get("name", missing),
                      worker.get("id_number", ""), student.get("name", missing), student.get("id_number", ""),
                      student.get("school", ""), SCHOOL_STAGE.get(student.get("stage"), student.get("stage", "")),
                      CATEGORY.get(f.get("category"), f.get("category", "")),
                      PROGRAM.get(f.get("program"), f.get("program", "")), FUND_SOURCE.get(source, source),
                      round((r["amount_fen"] or 0) / 100, 2), STATUS.get(r["status"], r["status"]), r["org_code"],
                      tree.name(r["org_code"]), r["transfer_id"] or "", r["recorded_at"] or ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
