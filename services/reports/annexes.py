"""The report workbooks (附件7/8/9 and the stage report) from rolled-up report rows. Pure: rows
in, .xlsx bytes out."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.styles import Font

from contracts.employment import EmploymentStage
from services.shared.labels import CATEGORY, EMPLOYMENT_STAGE, FUND_SOURCE
from services.shared.orgs import OrgTree

PLACED = ("contract", "employed", "further_study", "grassroots")
SERVICE_COLUMNS = (("handed_off", "转介至意向工作地"), ("received", "作为意向工作地接收"),
                   ("received_placed", "接收后落实去向"), ("fairs", "举办招聘会（场）"), ("posts", "提供岗位（个）"),
                   ("recommendations", "岗位推荐（人次）"), ("internships", "实习（人）"), ("trainings", "培训（人）"),
                   ("supported", "创业扶持及一帮一（人）"), ("subsidies", "就业补贴（人次）"))


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _sheet(sheet, title: str, header: list[str], rows: list[list], totals: list | None, unit: str) -> None:
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"填报单位：{unit}" if unit else ""])
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    if totals is not None:
        sheet.append(totals)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)


def _workbook(title: str, header: list[str], rows: list[list], totals: list, unit: str = "",
              extra: tuple[str, list[str], list[list]] | None = None) -> bytes:
    book = Workbook()
    _sheet(book.active, title, header, rows, totals, unit)
    if extra:
        _sheet(book.create_sheet(), extra[0], extra[1], extra[2], None, unit)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _totals(rows: list[list], first_numeric: int, label: str = "合计") -> list:
    sums = [sum(r[i] for r in rows) for i in range(first_numeric, len(rows[0]))] if rows else []
    return [label, *[""] * (first_numeric - 1), *[round(v, 2) if isinstance(v, float) else v for v in sums]]


def _province(tree: OrgTree, top: str | None) -> str:
    """安徽省 from 安徽省总工会: the seeds name the forms after the province."""
    root = tree.name(tree.root_of(top)) if top else ""
    return root.removesuffix("总工会")


def _title(annex_no: str, year: int, tree: OrgTree, top: str | None, what: str, as_of: str | None) -> str:
    return f"{annex_no}{year}年{_province(tree, top)}{what}" + (f"（截至{as_of}）" if as_of else "")


def demand_summary(rows: dict[str, list[dict]], tree: OrgTree, year: int, top: str | None = None,
                   as_of: str | None = None, **_) -> bytes:
    """附件7 金秋助学活动需求汇总表: applicants, eligible students and yuan needed, by union and category."""
    table = [[r["org_code"], tree.name(r["org_code"]), CATEGORY.get(r["category"], r["category"]),
              r["applications"], r.get("late", 0), r["eligible"], _yuan(r["provincial_fen"]), _yuan(r["other_fen"]),
              _yuan(r["provincial_fen"] + r["other_fen"])] for r in rows["demand"]]
    header = ["单位代码", "单位", "帮扶类别", "申请人数", "其中补报", "符合条件人数", "省总经费需求（元）",
              "其他资金需求（元）", "需求合计（元）"]
    return _workbook(_title("附件7 ", year, tree, top, "工会金秋助学活动需求汇总表", as_of), header, table,
                     _totals(table, 3), tree.name(top) if top else "")


def activity_statistics(rows: dict[str, list[dict]], tree: OrgTree, year: int, top: str | None = None,
                        as_of: str | None = None, **_) -> bytes:
    """附件8 金秋助学活动情况统计表: students and yuan granted, by union, category and fund source."""
    table = [[r["org_code"], tree.name(r["org_code"]), CATEGORY.get(r["category"], r["category"]),
              FUND_SOURCE.get(r["fund_source"], r["fund_source"]), r["students"], _yuan(r["amount_fen"]),
              r["settled"]] for r in rows["activity"]]
    header = ["单位代码", "单位", "帮扶类别", "资金来源", "资助人数", "资助金额（元）", "已到账人数"]
    return _workbook(_title("附件8 ", year, tree, top, "工会金秋助学活动情况统计表", as_of), header, table,
                     _totals(table, 4), tree.name(top) if top else "")


def _by_org(rows: list[dict]) -> dict[str, dict]:
    return {r["org_code"]: r for r in rows}


def employment_statistics(rows: dict[str, list[dict]], tree: OrgTree, year: int, top: str | None = None,
                          as_of: str | None = None, cohort: tuple[int, int] | None = None, **_) -> bytes:
    """附件9 困难职工家庭高校毕业生阳光就业暖心行动统计表: graduates by origin union and furthest
    stage (the rate counts only the policy's cohort: the seed's 2021-2023 graduates), then what
    each union did: handoffs out, graduates received as destination, fairs, posts,
    recommendations, internships, training, start-up and pairing support, subsidies paid."""
    by_org: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    served: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows["employment"]:
        by_org[r["org_code"]][r["status"]] += r["graduates"]
        if cohort is None or cohort[0] <= (r.get("graduation_year") or 0) <= cohort[1]:
            served[r["org_code"]][0] += r["graduates"]
            served[r["org_code"]][1] += r["graduates"] if r["status"] in PLACED else 0
    services = _by_org(rows.get("services", []))
    stages = [s.value for s in EmploymentStage]
    table = []
    for org in sorted(set(by_org) | set(services)):
        counts, (in_cohort, placed), done = by_org[org], served[org], services.get(org, {})
        table.append([org, tree.name(org), sum(counts.values()), *[counts.get(s, 0) for s in stages],
                      sum(counts.get(s, 0) for s in PLACED), in_cohort, placed,
                      round(placed / in_cohort, 4) if in_cohort else 0.0,
                      *[done.get(k, 0) for k, _ in SERVICE_COLUMNS], _yuan(done.get("subsidy_fen", 0))])
    span = f"{cohort[0]}-{cohort[1]}届" if cohort else "全部"
    header = ["单位代码", "生源地工会", "登记毕业生", *[EMPLOYMENT_STAGE[s] for s in stages], "落实去向人数",
              f"帮扶对象（{span}）", "其中落实去向", "就业率", *[label for _, label in SERVICE_COLUMNS],
              "就业补贴金额（元，央财帮扶资金）"]
    totals = _totals(table, 2)
    rate = header.index("就业率")
    if table:
        totals[rate] = round(totals[rate - 1] / totals[rate - 2], 4) if totals[rate - 2] else 0.0
    return _workbook(_title("附件9 ", year, tree, top, "困难职工家庭高校毕业生阳光就业暖心行动统计表", as_of), header,
                     table, totals, tree.name(top) if top else "")


def stage_report(rows: dict[str, list[dict]], tree: OrgTree, year: int, top: str | None = None,
                 as_of: str | None = None, deadlines: list[dict] | None = None, **_) -> bytes:
    """活动阶段性情况报告 (due to the city on 08-29 and 11-28): per union, both halves of the
    campaign in one row; a second sheet shows which reports below were sent, and which are 逾期."""
    per: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(int))
    for r in rows["demand"]:
        for k in ("applications", "late", "eligible"):
            per[r["org_code"]][k] += r[k]
    for r in rows["activity"]:
        for k in ("students", "amount_fen", "settled"):
            per[r["org_code"]][k] += r[k]
    for r in rows["employment"]:
        per[r["org_code"]]["graduates"] += r["graduates"]
        per[r["org_code"]]["placed"] += r["graduates"] if r["status"] in PLACED else 0
    for r in rows.get("services", []):
        for k in ("handed_off", "received", "fairs", "posts", "recommendations", "subsidy_fen"):
            per[r["org_code"]][k] += r[k]
    columns = (("applications", "申请人数"), ("late", "其中补报"), ("eligible", "符合条件人数"), ("students", "资助人数"),
               ("amount_fen", "资助金额（元）"), ("settled", "已到账人数"), ("graduates", "登记毕业生"),
               ("placed", "落实去向"), ("handed_off", "转介"), ("received", "接收"), ("fairs", "招聘会（场）"),
               ("posts", "岗位（个）"), ("recommendations", "推荐（人次）"), ("subsidy_fen", "就业补贴（元）"))
    table = [[org, tree.name(org), *[_yuan(v[k]) if k.endswith("_fen") else v[k] for k, _ in columns]]
             for org, v in sorted(per.items())]
    status = [[d["org_code"], tree.name(d["org_code"]), d["name"], d["due"], d["status"], d.get("submitted_on") or ""]
              for d in deadlines or []]
    return _workbook(_title("", year, tree, top, "工会金秋助学和阳光就业活动阶段性情况报告", as_of),
                     ["单位代码", "单位", *[label for _, label in columns]], table, _totals(table, 2),
                     tree.name(top) if top else "",
                     extra=("报送情况", ["单位代码", "单位", "报送事项", "截止日期", "状态", "报送日期"], status))


REPORTS: dict[str, tuple[str, Callable[..., bytes]]] = {
    "demand": ("附件7_金秋助学活动需求汇总表.xlsx", demand_summary),
    "activity": ("附件8_金秋助学活动情况统计表.xlsx", activity_statistics),
    "employment": ("附件9_阳光就业暖心行动统计表.xlsx", employment_statistics),
    "stage": ("阶段性情况报告.xlsx", stage_report),
}
ANNEXES = {k: v for k, v in REPORTS.items() if k != "stage"}


def annex(name: str, rows: dict[str, list[dict]], tree: OrgTree, year: int, top: str | None = None, **options) -> bytes:
    """The workbook of report `name` (demand, activity, employment, stage) from rolled-up rows."""
    return REPORTS[name][1](rows, tree, year, top, **options)


def cohort_of(book, org: str, year: int) -> tuple[int, int] | None:
    """The graduate cohort 阳光就业 serves under the policy of `org`'s province that year."""
    policy = book.find(org, year)
    return tuple(policy.graduate_cohort) if policy and policy.graduate_cohort else None
