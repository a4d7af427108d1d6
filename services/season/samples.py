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
from services.demo.season import Season
from services.intake.spreadsheet import COLUMNS, HEADER_NAME, VALUES
from services.season.registry_files import FILES

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


def write_sample(season: Season, input_dir: Path, bad_share: float, seed: int) -> list[int]:
    input_dir.mkdir(parents=True, exist_ok=True)
    write_registry(input_dir, season.funds + season.registry)
    return write_applications(input_dir / "applications.xlsx", season.applications, bad_share, seed)
