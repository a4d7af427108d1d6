"""Reads a county's spreadsheet (xlsx or csv) into rows keyed by canonical field names.

Headers follow 附件1 / 附件2 and the archive forms in Chinese; English aliases are accepted.
Values in Chinese (建档立卡, 小学, 是…) become the codes the API uses. Nothing here validates:
intake's form model does, so a row from a sheet and a JSON body meet the same rules.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from openpyxl import load_workbook

from contracts.applications import DocumentKind

COLUMNS: dict[str, tuple[str, ...]] = {
    "submission_id": ("申报编号", "submission_id"),
    "org_code": ("申报单位代码", "工会代码", "org_code"),
    "campaign_year": ("年度", "campaign_year"),
    "household_id": ("档案编号", "household_id"),
    "category": ("帮扶类别", "服务对象类别", "category"),
    "program": ("申报项目", "项目", "program"),
    "worker.name": ("职工姓名", "worker_name"),
    "worker.id_number": ("职工身份证号", "职工身份证号码", "worker_id_number"),
    "student.name": ("学生姓名", "student_name"),
    "student.id_number": ("学生身份证号", "学生身份证号码", "student_id_number"),
    "student.stage": ("就读阶段", "学段", "stage"),
    "student.school": ("就读学校", "学校", "school"),
    "student.new_entrant": ("是否新生", "是否新入学", "new_entrant"),
    "student.graduation_year": ("毕业年份", "graduation_year"),
    "student.school_tier": ("院校层次", "school_tier"),
    "tuition_invoice_yuan": ("学费发票金额（元）", "学费发票金额(元)", "学费发票金额", "tuition_invoice_yuan"),
    "bank_card": ("银行卡号", "bank_card"),
    "phone": ("联系电话", "手机号码", "phone"),
    "relative_of_staff": ("是否与工会工作人员有亲属关系", "亲属关系", "relative_of_staff"),
}
DOCUMENT_COLUMNS: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.APPLICATION_FORM: ("附件1/2申请表", "申请表"),
    DocumentKind.ARCHIVE_FORM: ("附件3/4档案表", "档案表"),
    DocumentKind.WORKER_ID_CARD: ("职工身份证",),
    DocumentKind.HOUSEHOLD_IDS: ("家庭成员身份证或户口簿",),
    DocumentKind.INCOME_PROOF: ("近12个月银行流水或工资单", "收入证明"),
    DocumentKind.EMPLOYMENT_PROOF: ("劳动合同或社保缴费证明",),
    DocumentKind.TUITION_RECEIPT: ("因学费用凭证", "学费凭证"),
    DocumentKind.ADMISSION_PROOF: ("分数条和录取通知书", "录取通知书"),
    DocumentKind.STUDENT_PROOF: ("学生证和成绩单", "学生证"),
    DocumentKind.SOCIAL_SECURITY_CARD: ("社保卡",),
    DocumentKind.HOUSEHOLD_CHECK_AUTHORIZATION: ("附件5核对授权承诺书", "附件5"),
    DocumentKind.EMPLOYER_NOTICE: ("附件6单位公示", "附件6"),
}
for kind, names in DOCUMENT_COLUMNS.items():
    COLUMNS[f"doc:{kind.value}"] = (*names, f"doc_{kind.value}")

VALUES: dict[str, dict[str, str]] = {
    "category": {"建档立卡": "archived_family", "建档困难职工": "archived_family", "送温暖": "warmth_visited",
                 "新就业形态劳动者": "gig_or_migrant", "农民工": "gig_or_migrant", "两后生": "liang_hou_sheng",
                 "高校毕业生": "graduate", "其他": "other"},
    "program": {"入学助学": "enrolment_aid", "圆梦计划": "dream_plan", "金牌蓝领": "golden_blue_collar",
                "勤工俭学": "work_study", "阳光就业": "sunshine_employment", "创业扶持": "startup"},
    "student.stage": {"学前": "preschool", "学前教育": "preschool", "小学": "primary", "初中": "junior_secondary",
                      "高中": "senior_secondary", "中职": "secondary_vocational", "高职": "higher_vocational",
                      "大专": "higher_vocational", "本科": "undergraduate", "研究生": "postgraduate",
                      "特殊教育": "special_education"},
}
YES, NO = {"是", "y", "yes", "true", "1"}, {"否", "n", "no", "false", "0", ""}
HEADER_NAME = {field: names[0] for field, names in COLUMNS.items()}


class RowError(ValueError):
    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


UNREADABLE = "文件无法读取：请上传 Excel 工作簿（.xlsx）或 UTF-8 / GB18030 编码的 CSV 文件"


def read_table(filename: str, content: bytes) -> tuple[list[str], list[list[str]]]:
    """Header and data rows as text, from .xlsx or .csv (UTF-8, or GB18030 as Excel saves it here).
    Whatever cannot be read (a truncated or foreign file, another encoding, binary) is refused."""
    try:
        table = _xlsx_table(content) if PurePath(filename).suffix.lower() == ".xlsx" else _csv_table(content)
    except RowError:
        raise
    except Exception:  # openpyxl and zipfile raise many kinds for a damaged workbook
        raise RowError("unreadable_file", "", UNREADABLE) from None
    for row in table:
        for cell in row:
            if _FORBIDDEN.search(cell):
                raise RowError("invalid_characters", "", "文件中含有控制字符或无法识别的字符，请检查后重新上传")
    table = [row for row in table if any(row)]
    if not table:
        raise RowError("empty_file", "", "文件中没有数据")
    return table[0], table[1:]


_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _xlsx_table(content: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    return [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]


def _csv_table(content: bytes) -> list[list[str]]:
    if b"\x00" in content:
        raise RowError("unreadable_file", "", UNREADABLE)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise RowError("unreadable_file", "", UNREADABLE) from None
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]


def column_map(header: list[str]) -> dict[int, str]:
    """Column index → canonical field; unknown headers are refused so nothing is silently dropped."""
    by_alias = {alias.lower(): field for field, names in COLUMNS.items() for alias in names}
    mapped, unknown = {}, []
    for i, name in enumerate(header):
        field = by_alias.get(name.strip().lower())
        if field is None:
            unknown.append(name)
        else:
            mapped[i] = field
    if unknown:
        raise RowError("unknown_columns", ",".join(unknown), f"不认识的列：{'、'.join(unknown)}")
    return mapped


def to_form(cells: dict[str, str]) -> dict[str, Any]:
    """One row's cells (canonical field → text) as an application form body."""
    body: dict[str, Any] = {"worker": {}, "student": {}, "documents": []}
    for field, raw in cells.items():
        value = VALUES.get(field, {}).get(raw, raw)
        if field.startswith("doc:"):
            if raw:
                body["documents"].append(_document(field[4:], raw))
        elif field == "tuition_invoice_yuan":
            body["tuition_invoice_fen"] = yuan_to_fen(raw)
        elif field in ("student.new_entrant", "relative_of_staff"):
            body.setdefault("student", {})
            _put(body, field, _yes_no(field, raw))
        elif field in ("campaign_year", "student.graduation_year"):
            _put(body, field, int(raw) if raw.isdigit() else (raw or None))
        elif raw != "" or field in ("submission_id", "org_code"):
            _put(body, field, value)
    return body


def _put(body: dict, field: str, value: Any) -> None:
    if "." in field:
        outer, inner = field.split(".")
        body[outer][inner] = value
    else:
        body[field] = value


MAX_YUAN = Decimal(10_000_000)


def yuan_to_fen(raw: str, field: str = "tuition_invoice_yuan") -> int:
    """Yuan with at most two decimals as integer fen; NaN, infinities and absurd sizes refused."""
    try:
        yuan = Decimal(raw.replace(",", "") or "0")
        if not yuan.is_finite() or yuan < 0 or yuan > MAX_YUAN or yuan != yuan.quantize(Decimal("0.01")):
            raise InvalidOperation
    except InvalidOperation:
        raise RowError("invalid_amount", field, "金额应为 0 至 10,000,000 之间的数字，单位元，最多两位小数") from None
    return int(yuan * 100)


def _yes_no(field: str, raw: str) -> bool:
    if raw.lower() in YES:
        return True
    if raw.lower() in NO:
        return False
    raise RowError("invalid_yes_no", field, "请填写“是”或“否”")


def _document(kind: str, raw: str) -> dict[str, str]:
    """`s3://bucket/key#sha256=<64 hex>`: where the document is stored, and its content hash."""
    ref, _, digest = raw.partition("#sha256=")
    return {"kind": kind, "ref": ref.strip(), "sha256": digest.strip().lower()}
