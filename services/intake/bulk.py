"""Bulk intake of a county's spreadsheet: every bad row reported with its row number, a stable
code and a Chinese message; every good row filed exactly as a single API filing would be."""

from __future__ import annotations

import asyncio
import io
import uuid
from dataclasses import asdict, dataclass, field

import asyncpg
from openpyxl import Workbook
from pydantic import ValidationError

from services.intake.domain import ApplicationForm
from services.intake.handlers import file_applications
from services.intake.spreadsheet import RowError, column_map, read_table, to_form
from services.shared.authority import Authority, Principal
from services.shared.errors import Refused

CHUNK = 500
MAX_ROWS = 50_000
_MESSAGES = {"missing": "缺少必填项", "string_pattern_mismatch": "格式不正确", "enum": "取值不在允许范围内",
             "int_parsing": "应为整数", "extra_forbidden": "不认识的字段", "string_too_short": "不能为空"}


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's own row number (the header is row 1)
    code: str
    column: str
    message: str


@dataclass
class ImportReport:
    import_id: str
    filename: str
    rows: int = 0
    accepted: int = 0
    already_filed: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    application_ids: dict[int, str] = field(default_factory=dict)

    @property
    def refused_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    def summary(self) -> dict:
        return {"import_id": self.import_id, "filename": self.filename, "rows": self.rows,
                "accepted": self.accepted, "already_filed": self.already_filed,
                "refused": len(self.refused_rows), "errors": [asdict(p) for p in self.problems]}


def _column(header: list[str], mapping: dict[int, str], path: str) -> str:
    names = {f: header[i] for i, f in mapping.items()}
    return names.get(path, path)


def _validation_problems(row: int, exc: ValidationError, header: list[str], mapping: dict[int, str]) -> list[RowProblem]:
    problems = []
    for e in exc.errors():
        path = ".".join(str(p) for p in e["loc"] if not isinstance(p, int))
        if path.startswith("documents"):
            path = "documents"
        code = e["type"]
        message = e["msg"] if code.startswith("invalid_") else _MESSAGES.get(code, "填写有误")
        problems.append(RowProblem(row, code, _column(header, mapping, path), message))
    return problems


def parse_rows(header: list[str], rows: list[list[str]], report: ImportReport) -> list[tuple[int, ApplicationForm]]:
    mapping = column_map(header)
    good = []
    for n, row in enumerate(rows, start=2):
        cells = {f: (row[i] if i < len(row) else "") for i, f in mapping.items()}
        try:
            good.append((n, ApplicationForm.model_validate(to_form(cells))))
        except RowError as e:
            report.problems.append(RowProblem(n, e.code, _column(header, mapping, e.field), e.message))
        except ValidationError as e:
            report.problems += _validation_problems(n, e, header, mapping)
    return good


async def import_sheet(pool: asyncpg.Pool, authority: Authority, principal: Principal, filename: str,
                       content: bytes, correlation_id: str) -> tuple[ImportReport, list[str], list[list[str]]]:
    """Files the good rows of a sheet; a sheet that cannot be read at all is `Refused` whole.
    Parsing runs in a worker thread, so that a big sheet does not stall intake's event loop."""
    report = ImportReport(import_id=str(uuid.uuid4()), filename=filename)
    try:
        header, rows = await asyncio.to_thread(read_table, filename, content)
        if len(rows) > MAX_ROWS:
            raise RowError("too_many_rows", "", f"一次最多导入{MAX_ROWS}行，本文件有{len(rows)}行，请分批上传")
        report.rows = len(rows)
        good = await asyncio.to_thread(parse_rows, header, rows, report)
    except RowError as e:
        raise Refused(e.code, e.message) from None
    in_scope = []
    for n, form in good:
        try:
            authority.require_scope(principal.org, form.org_code)
            in_scope.append((n, form))
        except Refused as refusal:
            report.problems.append(RowProblem(n, refusal.code, "org_code", refusal.message))
    for start in range(0, len(in_scope), CHUNK):
        chunk = in_scope[start:start + CHUNK]
        async with pool.acquire() as conn, conn.transaction():
            filed = await file_applications(conn, [form for _, form in chunk], principal, authority, correlation_id)
        for (n, _), one in zip(chunk, filed, strict=True):
            report.application_ids[n] = one.application_id
            report.accepted += one.created
            report.already_filed += not one.created
    await pool.execute(
        "INSERT INTO imports (import_id, org_code, filename, rows, accepted, refused, errors, header) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        report.import_id, principal.org, filename, report.rows, report.accepted, len(report.refused_rows),
        {"problems": [asdict(p) for p in report.problems],
         "rows": {str(n): rows[n - 2] for n in report.refused_rows if n >= 2}}, header)
    return report, header, rows


def error_workbook(header: list[str], problems: list[dict], bad_rows: dict[str, list[str]]) -> bytes:
    """The bad rows as they were, with 行号 / 错误代码 / 错误说明 added: fix and upload again
    (good rows already filed are recognised by their 申报编号 and not filed twice)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "错误报告"
    sheet.append(["行号", *header, "错误代码", "错误说明"])
    by_row: dict[int, list[dict]] = {}
    for p in problems:
        by_row.setdefault(p["row"], []).append(p)
    for row, found in sorted(by_row.items()):
        cells = bad_rows.get(str(row), [])
        sheet.append([row, *cells, ";".join(p["code"] for p in found),
                      "；".join(f"{p['column']}：{p['message']}" if p["column"] else p["message"] for p in found)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
