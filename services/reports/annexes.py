"""The three report workbooks from report rows. Pure: rows in, .xlsx bytes out."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable

from openpyxl import Workbook
from openpyxl.styles import Font

from contracts.employment import EmploymentStage
from services.shared.orgs import OrgTree

CATEGORY = {"archived_family": "建档立卡困难职工家庭", "warmth_visited": "送温暖慰问家庭",
            "gig_or_migrant": "新就业形态劳动者、农民工家庭", "liang_hou_sheng": "两后生",
            "graduate": "高校毕业生", "other": "其他"}
FUND = {"provincial": "省总金秋助学经费", "central": "央财帮扶资金", "local": "本级工会经费", "donation": "社会捐赠"}
STAGE = {"enrolment": "入学", "training": "培训", "internship": "实习", "job_seeking": "求职",
         "interview": "洽谈", "contract": "签约", "employed": "就业"}


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _workbook(title: str, header: list[str], rows: list[list], totals: list, unit: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"填报单位：{unit}" if unit else ""])
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.append(totals)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
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


def demand_summary(rows: list[dict], tree: OrgTree, year: int, top: str | None = None) -> bytes:
    """附件7 金秋助学活动需求汇总表: applicants, eligible students and yuan needed, by union and category."""
    table = [[r["org_code"], tree.name(r["org_code"]), CATEGORY.get(r["category"], r["category"]),
              r["applications"], r.get("late", 0), r["eligible"], _yuan(r["provincial_fen"]), _yuan(r["other_fen"]),
              _yuan(r["provincial_fen"] + r["other_fen"])] for r in rows]
    header = ["单位代码", "单位", "帮扶类别", "申请人数", "其中补报", "符合条件人数", "省总经费需求（元）",
              "其他资金需求（元）", "需求合计（元）"]
    return _workbook(f"附件7 {year}年{_province(tree, top)}工会金秋助学活动需求汇总表", header, table, _totals(table, 3),
                     tree.name(top) if top else "")


def activity_statistics(rows: list[dict], tree: OrgTree, year: int, top: str | None = None) -> bytes:
    """附件8 金秋助学活动情况统计表: students and yuan granted, by union, category and fund source."""
    table = [[r["org_code"], tree.name(r["org_code"]), CATEGORY.get(r["category"], r["category"]),
              FUND.get(r["fund_source"], r["fund_source"]), r["students"], _yuan(r["amount_fen"]), r["settled"]]
             for r in rows]
    header = ["单位代码", "单位", "帮扶类别", "资金来源", "资助人数", "资助金额（元）", "已到账人数"]
    return _workbook(f"附件8 {year}年{_province(tree, top)}工会金秋助学活动情况统计表", header, table, _totals(table, 4),
                     tree.name(top) if top else "")


EMPLOYED = ("employed", "contract")


def employment_statistics(rows: list[dict], tree: OrgTree, year: int, top: str | None = None,
                          cohort: tuple[int, int] | None = None) -> bytes:
    """附件9 困难职工家庭高校毕业生阳光就业暖心行动统计表: graduates by origin union and furthest
    stage; the employment rate counts only the policy's cohort (the seed: 2021-2023 graduates)."""
    by_org: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    served: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        by_org[r["org_code"]][r["status"]] += r["graduates"]
        if cohort is None or cohort[0] <= (r.get("graduation_year") or 0) <= cohort[1]:
            served[r["org_code"]][0] += r["graduates"]
            served[r["org_code"]][1] += r["graduates"] if r["status"] in EMPLOYED else 0
    stages = [s.value for s in EmploymentStage]
    table = []
    for org, counts in sorted(by_org.items()):
        in_cohort, employed = served[org]
        table.append([org, tree.name(org), sum(counts.values()), *[counts.get(s, 0) for s in stages],
                      sum(counts.get(s, 0) for s in EMPLOYED), in_cohort, employed,
                      round(employed / in_cohort, 4) if in_cohort else 0.0])
    span = f"{cohort[0]}-{cohort[1]}届" if cohort else "全部"
    header = ["生源地单位代码", "生源地工会", "登记毕业生", *[STAGE[s] for s in stages], "签约或就业人数",
              f"帮扶对象（{span}）", "其中签约或就业", "就业率"]
    totals = _totals(table, 2)
    if table:
        totals[-1] = round(totals[-2] / totals[-3], 4) if totals[-3] else 0.0
    return _workbook(f"附件9 {year}年{_province(tree, top)}困难职工家庭高校毕业生阳光就业暖心行动统计表", header, table, totals,
                     tree.name(top) if top else "")


ANNEXES: dict[str, tuple[str, Callable[..., bytes]]] = {
    "demand": ("附件7_金秋助学活动需求汇总表.xlsx", demand_summary),
    "activity": ("附件8_金秋助学活动情况统计表.xlsx", activity_statistics),
    "employment": ("附件9_阳光就业暖心行动统计表.xlsx", employment_statistics),
}


def annex(name: str, rows: list[dict], tree: OrgTree, year: int, top: str | None = None,
          cohort: tuple[int, int] | None = None) -> bytes:
    """The workbook of report `name` (demand, activity, employment)."""
    if name == "employment":
        return employment_statistics(rows, tree, year, top, cohort)
    return ANNEXES[name][1](rows, tree, year, top)


def cohort_of(book, org: str, year: int) -> tuple[int, int] | None:
    """The graduate cohort 阳光就业 serves under the policy of `org`'s province that year."""
    policy = book.find(org, year)
    return tuple(policy.graduate_cohort) if policy and policy.graduate_cohort else None
