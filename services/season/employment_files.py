"""A union's 阳光就业 files (csv or xlsx, Chinese headers) read into the events union levels
publish: job fairs (one row per post), 实名制档案 profiles, handoffs and their answers,
recommendations, progress, support and subsidies. A graduate is named by the student's ID
number (学生身份证号), as on the application; the union names its own ids (转介编号, …).
Published after the season's applications are decided, in this order; the employment service
checks each act (who, when, the policy's caps) and dead-letters what it refuses."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from contracts.base import Event
from contracts.employment import (
    EmploymentProgressRecorded,
    GraduateHandedOff,
    GraduateProfiled,
    GraduateRecommended,
    HandoffAnswered,
    JobFairHeld,
    SubsidyRequested,
    SupportArranged,
)
from services.intake.personal_data import student_key
from services.intake.spreadsheet import RowError, yuan_to_fen
from services.season.registry_files import FileProblem, ordered_paths, read_events
from services.shared import labels

STUDENT = {"学生身份证号": "student_id_number", "单位代码": "org_code", "经办人": "recorded_by_user"}
FILES: dict[str, tuple[type[Event], dict[str, str]]] = {
    "job_fairs": (JobFairHeld, {"招聘会编号": "fair_id", "单位代码": "org_code", "招聘会名称": "name", "类型": "kind",
                                "举办日期": "held_on", "岗位编号": "post_id", "用人单位": "employer",
                                "岗位名称": "title", "岗位类型": "post_kind", "招聘人数": "openings",
                                "经办人": "recorded_by_user"}),
    "graduate_profiles": (GraduateProfiled, {**STUDENT, "专业": "major", "专业方向": "major_direction",
                                             "家庭状况": "family_situation", "意向城市": "intended_city",
                                             "意向工作地工会": "intended_org", "意向行业": "intended_industry",
                                             "援助需求": "needs"}),
    "handoffs": (GraduateHandedOff, {**STUDENT, "转介编号": "handoff_id", "意向工作地工会": "to_org", "说明": "note"}),
    "handoff_answers": (HandoffAnswered, {**STUDENT, "转介编号": "handoff_id", "接收或退回": "accepted",
                                          "说明": "note"}),
    "recommendations": (GraduateRecommended, {**STUDENT, "推荐编号": "recommendation_id", "招聘会编号": "fair_id",
                                              "岗位编号": "post_id"}),
    "employment_progress": (EmploymentProgressRecorded, {**STUDENT, "阶段": "stage", "日期": "recorded_on",
                                                         "用人单位": "employer", "岗位编号": "post_id",
                                                         "基层项目": "program"}),
    "supports": (SupportArranged, {**STUDENT, "帮扶编号": "support_id", "类型": "kind", "结对人": "partner"}),
    "subsidies": (SubsidyRequested, {**STUDENT, "补贴编号": "subsidy_id", "补贴类型": "kind", "金额（元）": "amount_yuan",
                                     "收款人": "payee", "银行卡号": "bank_card"}),
}
ORDER = list(FILES)
_CODES = {label: code for mapping in (labels.FAIR_KIND, labels.POST_KIND, labels.ASSISTANCE_NEED,
                                      labels.EMPLOYMENT_STAGE, labels.GRASSROOTS_PROGRAM, labels.SUPPORT_KIND,
                                      labels.SUBSIDY_KIND) for code, label in mapping.items()}
_ANSWERS = {"接收": True, "退回": False}
_POST_FIELDS = ("post_id", "employer", "title", "post_kind", "openings")


def employment_paths(input_dir: Path) -> list[Path]:
    return ordered_paths(input_dir, ORDER)


def read_employment_file(path: Path) -> tuple[list[Event], list[FileProblem]]:
    """The file's events, and a problem for each row (or the whole file) that cannot be one."""
    model, aliases = FILES[path.stem]
    return read_events(path, model, aliases, _row_data, _fairs if model is JobFairHeld else lambda rows: rows)


def _row_data(fields: list[str], row: list[str]) -> dict:
    data: dict = {}
    for name, raw in zip(fields, row, strict=False):
        raw = raw.strip()
        if raw == "":
            continue
        if name == "student_id_number":
            data["graduate_id"] = student_key(raw.upper())
        elif name == "needs":
            data[name] = tuple(_CODES.get(v.strip(), v.strip()) for v in raw.split(";") if v.strip())
        elif name == "accepted":
            if raw not in _ANSWERS:
                raise RowError("invalid_answer", name, "“接收或退回”应填“接收”或“退回”")
            data[name] = _ANSWERS[raw]
        elif name == "amount_yuan":
            data["amount_fen"] = yuan_to_fen(raw, name)
        else:
            data[name] = _CODES.get(raw, raw)
    return data


def _fairs(rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """One job fair per 招聘会编号, its rows' posts together."""
    fairs: dict[str, tuple[int, dict]] = {}
    posts: dict[str, list[dict]] = defaultdict(list)
    for n, data in rows:
        post = {k: data.pop(k) for k in _POST_FIELDS if k in data}
        if "post_kind" in post:
            post["kind"] = post.pop("post_kind")
        fairs.setdefault(data.get("fair_id", f"row-{n}"), (n, data))
        posts[data.get("fair_id", f"row-{n}")].append(post)
    return [(n, {**data, "posts": posts[fair]}) for fair, (n, data) in fairs.items()]
