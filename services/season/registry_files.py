"""A union's registry and fund files (csv or xlsx) read into the events union levels publish.

Each file's rows become one event type; headers are the event's field names or their Chinese
names below; list cells are separated by `;`; amounts are in yuan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from contracts.base import Event
from contracts.funds import FundAllocated
from contracts.households import (
    GigWorkerRegistered,
    HardshipFileClosed,
    HardshipFileOpened,
    HouseholdCheckAuthorizationSigned,
    WarmthVisitRecorded,
)
from services.intake.spreadsheet import RowError, read_table, yuan_to_fen

COMMON = {"档案编号": "household_id", "单位代码": "org_code", "职工身份证号": "worker_id_number"}
FILES: dict[str, tuple[type[Event], dict[str, str]]] = {
    "hardship_files": (HardshipFileOpened, {**COMMON, "档案类型": "kind", "建档日期": "opened_on",
                                            "家庭成员身份证号": "member_id_numbers"}),
    "hardship_closures": (HardshipFileClosed, {**COMMON, "脱困日期": "closed_on", "原因": "reason"}),
    "authorizations": (HouseholdCheckAuthorizationSigned, {**COMMON, "签署日期": "signed_on",
                                                           "签署人身份证号": "signatory_id_numbers"}),
    "warmth_visits": (WarmthVisitRecorded, {**COMMON, "慰问日期": "visited_on"}),
    "gig_workers": (GigWorkerRegistered, {**COMMON, "登记日期": "registered_on", "职工类型": "worker_kind"}),
    "funds": (FundAllocated, {"拨款编号": "allocation_id", "资金来源": "fund_source", "拨出单位": "from_org",
                              "拨入单位": "to_org", "金额（元）": "amount_yuan", "年度": "campaign_year"}),
}
VALUES = {"困难职工": "worker", "困难农民工": "migrant_worker", "新就业形态": "new_form", "农民工": "migrant",
          "省总": "provincial", "央财": "central", "本级": "local"}
LISTS = {"member_id_numbers", "signatory_id_numbers"}


@dataclass(frozen=True)
class FileProblem:
    file: str
    row: int
    message: str


Rows = list[tuple[int, dict]]


def read_events(path: Path, model: type[Event], aliases: dict[str, str], row_data: Callable[[list[str], list[str]], dict],
                group: Callable[[Rows], Rows] = lambda rows: rows) -> tuple[list[Event], list[FileProblem]]:
    """The file's events (rows made into data, `group`ed where several rows make one event), and
    a problem for each row (or the whole file) that cannot be one, in row order."""
    try:
        header, rows = read_table(path.name, path.read_bytes())
    except RowError as e:
        return [], [FileProblem(path.name, 1, f"{e.code}: {e.message}")]
    fields = [aliases.get(h, h) for h in header]
    datas, problems = [], []
    for n, row in enumerate(rows, start=2):
        try:
            datas.append((n, row_data(fields, row)))
        except RowError as e:
            problems.append(FileProblem(path.name, n, f"{e.code}: {e.message}"))
    events = []
    for n, data in group(datas):
        try:
            events.append(model.model_validate(data))
        except ValidationError as e:
            problems.append(FileProblem(path.name, n, "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}"
                                                              for x in e.errors())))
    return events, sorted(problems, key=lambda p: p.row)


def read_registry_file(path: Path) -> tuple[list[Event], list[FileProblem]]:
    return read_events(path, *FILES[path.stem], _row_data)


def _row_data(fields: list[str], row: list[str]) -> dict:
    data = {}
    for name, raw in zip(fields, row, strict=False):
        value = VALUES.get(raw, raw)
        if name in LISTS:
            value = tuple(v.strip() for v in raw.split(";") if v.strip())
        elif name == "amount_yuan":
            name, value = "amount_fen", yuan_to_fen(raw, "amount_yuan")
        if value != "":
            data[name] = value
    return data


def ordered_paths(input_dir: Path, order: list[str]) -> list[Path]:
    """The .csv / .xlsx files of `input_dir` named in `order`, in that order."""
    found = {p.stem: p for p in input_dir.iterdir() if p.suffix.lower() in (".csv", ".xlsx")}
    return [found[name] for name in order if name in found]


def registry_paths(input_dir: Path) -> list[Path]:
    """Registry and fund files in the order they must be published: funds, files, then the rest."""
    return ordered_paths(input_dir, ["funds", "hardship_files", "hardship_closures", "authorizations",
                                     "warmth_visits", "gig_workers"])


def application_paths(input_dir: Path) -> list[Path]:
    return sorted(p for p in input_dir.iterdir()
                  if p.suffix.lower() in (".csv", ".xlsx") and p.stem.startswith("applications"))
