"""Writes a county's sample input: the applications spreadsheet (with a share of bad rows, as
staff make them) and the registry and fund files, from a synthetic season."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from contracts.base import Event
from services.demo.season import CITY, DESTINATION, Season, employment_plan, replacement_card
from services.intake.spreadsheet import COLUMNS, HEADER_NAME, VALUES
from services.season.registry_files import FILES
from services.shared import labels

LABELS = {field: {code: label for label, code in reversed(list(mapping.items()))} for field, mapping in VALUES.items()}
MISTAKES = [  # (field, bad value): what staff get wrong, each caught with its own code
    ("student.id_number", lambda v: v[:-1] + ("1" if v[-1] == "0" else "0")),
    ("bank_card", lambda v: v[:-1] + str((int(v[-1]) + 1) % 10)),
    ("student.stage", lambda v: "幼儿园"),
    ("tuition_invoice_yuan", lambda v: "一千元"),
    ("worker.name", lambda v: ""),
    ("student.new_entrant", lambda v: "可能"),
    ("phone", lambda v: "12345"),
    ("org_code", lambda v: v[:5]),
]


def form_cells(form: dict) -> dict[str, str]:
    cells = {"submission_id": form["submission_id"], "org_code": form["org_code"],
             "campaign_year": str(form["campaign_year"]), "household_id": form.get("household_id") or "",
             "bank_card": form["bank_card"], "phone": form.get("phone") or "",
             "tuition_invoice_yuan": str(Decimal(form["tuition_invoice_fen"]) / 100),
             "relative_of_staff": "是" if form.get("relative_of_staff") else "否"}
    for field in ("category", "program"):
        cells[field] = LABELS[field].get(form[field], form[field])
    for who in ("worker", "student"):
        for key, value in form[who].items():
            field = f"{who}.{key}"
            if field == "student.stage":
                value = LABELS[field].get(value, value)
            elif field == "student.new_entrant":
                value = "是" if value else "否"
            cells[field] = "" if value is None else str(value)
    for doc in form.get("documents", []):
        cells[f"doc:{doc['kind']}"] = f"{doc['ref']}#sha256={doc['sha256']}"
    return cells


def write_applications(path: Path, forms: list[dict], bad_share: float, seed: int) -> list[int]:
    """The spreadsheet; returns the row numbers made bad (the header is row 1)."""
    rng = random.Random(seed)
    fields = list(COLUMNS)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("附件1")
    sheet.append([HEADER_NAME[f] for f in fields])
    bad_rows = sorted(rng.sample(range(2, len(forms) + 2), round(len(forms) * bad_share)))
    bad = set(bad_rows)
    for n, form in enumerate(forms, start=2):
        cells = form_cells(form)
        if n in bad:
            field, spoil = MISTAKES[n % len(MISTAKES)]
            cells[field] = spoil(cells.get(field, ""))
        sheet.append([cells.get(f, "") for f in fields])
    book.save(path)
    return bad_rows


def write_registry(input_dir: Path, events: list[Event]) -> None:
    by_model: dict[type, list[Event]] = defaultdict(list)
    for event in events:
        by_model[type(event)].append(event)
    for stem, (model, _) in FILES.items():
        if not by_model.get(model):
            continue
        fields = [f for f in model.model_fields]
        fields = ["amount_yuan" if f == "amount_fen" else f for f in fields]
        with (input_dir / f"{stem}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(fields)
            for event in by_model[model]:
                data = event.model_dump(mode="json")
                row = []
                for name in fields:
                    value = data.get(name) if name != "amount_yuan" else str(Decimal(data["amount_fen"]) / 100)
                    row.append(";".join(value) if isinstance(value, list) else "" if value is None else str(value))
                writer.writerow(row)


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


STRAY_ORG = "610200"  # 铜川市总工会: not the graduate's origin nor destination; its row is refused


def write_employment(season: Season, input_dir: Path, not_filed: frozenset[str] = frozenset()) -> int:
    """The 阳光就业 files of the season's cohort graduates, as the unions keep them (the season's
    plan: the city's job fair, profiles, handoffs to Hefei accepted or returned, recommendations,
    outcomes, pairing, subsidies), plus one progress row from a union with no right to it.
    Students whose application row was spoilt (`not_filed`, by student ID number) were never
    filed, so have no file. Returns the number of rows that become events."""
    plan = employment_plan(season)
    person = {g: season.graduates[g][2] for g in season.graduates}
    fair = f"{CITY}-fair-1"
    _csv(input_dir / "job_fairs.csv", ["招聘会编号", "单位代码", "招聘会名称", "类型", "举办日期", "岗位编号", "用人单位", "岗位名称",
                                       "岗位类型", "招聘人数", "经办人"],
         [[fair, CITY, "亳州市困难职工家庭高校毕业生就业双选会", "线下招聘会", "2023-08-18", "p1", "亳州某药业有限公司", "质检员",
           "就业岗位", 8, "season"], [fair, CITY, "亳州市困难职工家庭高校毕业生就业双选会", "线下招聘会", "2023-08-18", "p2",
                                     "亳州某药业有限公司", "生产实习生", "实习岗位", 10, "season"]])
    gs = [g for g in plan.graduates if person[g.graduate_id] not in not_filed]
    _csv(input_dir / "graduate_profiles.csv", ["学生身份证号", "单位代码", "专业", "意向城市", "意向工作地工会", "援助需求", "经办人"],
         [[person[g.graduate_id], g.origin, "药学", "合肥" if g.handed_off else "亳州",
           DESTINATION if g.handed_off else CITY, "岗位推荐;技能培训", "season"] for g in gs])
    handed = [g for g in gs if g.handed_off]
    _csv(input_dir / "handoffs.csv", ["转介编号", "学生身份证号", "单位代码", "意向工作地工会", "说明", "经办人"],
         [[f"h-{g.n}", person[g.graduate_id], g.origin, DESTINATION, "意向合肥", "season"] for g in handed])
    _csv(input_dir / "handoff_answers.csv", ["转介编号", "学生身份证号", "单位代码", "接收或退回", "说明", "经办人"],
         [[f"h-{g.n}", person[g.graduate_id], DESTINATION, "接收" if g.accepted else "退回", "", "season"]
          for g in handed])
    _csv(input_dir / "recommendations.csv", ["推荐编号", "学生身份证号", "单位代码", "招聘会编号", "岗位编号", "经办人"],
         [[f"r-{g.n}", person[g.graduate_id], g.keeper, fair, "p1", "season"] for g in gs])
    outcomes = ["就业", "签约", "求职", "基层项目", "升学", "洽谈"]
    progress = [[person[g.graduate_id], g.keeper, outcomes[g.n % 6], "2023-09-01",
                 "亳州某药业有限公司" if g.n % 6 in (0, 1, 5) else "", "三支一扶" if g.n % 6 == 3 else "", "season"]
                for g in gs]
    if gs:
        progress.append([person[gs[0].graduate_id], STRAY_ORG, "未就业", "2023-09-02", "", "", "season"])
    _csv(input_dir / "employment_progress.csv", ["学生身份证号", "单位代码", "阶段", "日期", "用人单位", "基层项目", "经办人"],
         progress)
    supports = [[f"s-{g.n}", person[g.graduate_id], g.keeper, "一帮一结对", "劳模结对导师", "season"] for g in gs if g.n % 5 == 0]
    _csv(input_dir / "supports.csv", ["帮扶编号", "学生身份证号", "单位代码", "类型", "结对人", "经办人"], supports)
    subsidies = [[f"SUB-{g.n}-{kind}", person[g.graduate_id], payer, labels.SUBSIDY_KIND[kind], str(Decimal(fen) / 100),
                  "亳州市某职业培训学校", replacement_card(f"{g.graduate_id}-{kind}"), "season"]
                 for g in gs for kind, payer, fen in g.subsidies]
    _csv(input_dir / "subsidies.csv", ["补贴编号", "学生身份证号", "单位代码", "补贴类型", "金额（元）", "收款人", "银行卡号", "经办人"],
         subsidies)
    return 1 + len(gs) * 3 + len(handed) * 2 + (1 if gs else 0) + len(supports) + len(subsidies)


def write_sample(season: Season, input_dir: Path, bad_share: float, seed: int) -> list[int]:
    input_dir.mkdir(parents=True, exist_ok=True)
    write_registry(input_dir, season.funds + season.registry)
    bad_rows = write_applications(input_dir / "applications.xlsx", season.applications, bad_share, seed)
    write_employment(season, input_dir, spoilt_students(season, bad_rows))
    return bad_rows


def spoilt_students(season: Season, bad_rows: list[int]) -> frozenset[str]:
    """The students (ID numbers) of the application rows made bad: intake refuses them."""
    return frozenset(season.applications[n - 2]["student"]["id_number"] for n in bad_rows)
