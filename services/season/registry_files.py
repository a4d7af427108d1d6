"""A union's registry and fund files (csv or xlsx) read into the events union levels publish.

Each file's rows become one event type; headers are the event's field names or their Chinese
names below; list cells are separated by `;`; amounts are in yuan.
"""

from __future__ import annotations

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


def read_registry_file(path: Path) -> tuple[list[Event], list[FileProblem]]:
    """The file's events, and a problem for each row (or the whole file) that cannot be one."""
    model, aliases = FILES[path.stem]
    try:
        header, rows = read_table(path.name, path.read_bytes())
    except RowError as e:
        return [], [FileProblem(path.name, 1, f"{e.code}: {e.message}")]
    fields = [aliases.get(h, h) for h in header]
    events, problems = [], []
    for n, row in enumerate(rows, start=2):
        try:
            events.append(model.model_validate(_row_data(fields, row)))
        except RowError as e:
            problems.append(FileProblem(path.name, n, f"{e.code}: {e.message}"))
        except ValidationError as e:
            problems.append(FileProblem(path.name, n, "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}"
                                                              for x in e.errors())))
    return events, problems


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


def registry_paths(input_dir: Path) -> list[Path]:
    """Registry and fund files in the order they must be published: funds, files, then the rest."""
    order = ["funds", "hardship_files", "hardship_closures", "authorizations", "warmth_visits", "gig_workers"]
    found = {p.stem: p for p in input_dir.iterdir() if p.suffix.lower() in (".csv", ".xlsx") and p.stem in FILES}
    return [found[name] for name in order if name in found]


def application_paths(input_dir: Path) -> list[Path]:
    return sorted(p for p in input_dir.iterdir()
                  if p.suffix.lower() in (".csv", ".xlsx") and p.stem.startswith("applications"))
