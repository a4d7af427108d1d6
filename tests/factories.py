"""Valid test data built with the same libraries intake validates with."""

from __future__ import annotations

import hashlib

from stdnum import luhn
from stdnum.cn import ric

from contracts.applications import ApplicationSubmitted, DocumentKind
from deploy.local import signing_keys
from services.intake.domain import ApplicationForm, submit

ALL_DOCUMENTS = [{"kind": k.value, "ref": f"s3://jinqiu-docs/{k.value}.pdf",
                  "sha256": hashlib.sha256(k.value.encode()).hexdigest()} for k in DocumentKind]

# API tokens for tests: one per org that acts in them.
TOKENS = {f"token-{org}": {"org": org, "user": f"staff-{org}"}
          for org in ("340000", "340100", "341600", "341602", "341621", "341622", "341623", "610000", "610100",
                      "610200")}


# Signing keys for tests: one per principal and per union org (deploy.local makes them the same way).
TEST_KEYS = signing_keys()


def auth(org: str = "341602") -> dict[str, str]:
    return {"Authorization": f"Bearer token-{org}"}


def id_number(region: str = "341602", born: str = "20050301", serial: int = 1) -> str:
    body = f"{region}{born}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def bank_card(seed: int = 1) -> str:
    body = f"622848{seed:012d}"
    return body + luhn.calc_check_digit(body)


def worker_id(i: int = 1) -> str:
    return id_number("342126", "19780101", i % 1000)


def form(i: int = 1, **overrides) -> dict:
    data = {
        "submission_id": f"sub-{i}", "org_code": "341602", "campaign_year": 2023,
        "household_id": f"hh-{i}", "category": "archived_family", "program": "enrolment_aid",
        "worker": {"name": "王强", "id_number": worker_id(i)},
        "student": {"name": "王小明", "id_number": id_number("341602", "20070301", i % 1000),
                    "stage": "senior_secondary", "school": "亳州一中", "new_entrant": False},
        "tuition_invoice_fen": 150_000, "bank_card": bank_card(i), "phone": "13912345678",
        "documents": ALL_DOCUMENTS,
    }
    for key, value in overrides.items():
        if key == "student":
            data["student"] = {**data["student"], **value}
        else:
            data[key] = value
    return data


def application(i: int = 1, filed_by: str | None = None, **overrides) -> ApplicationSubmitted:
    f = ApplicationForm.model_validate(form(i, **overrides))
    org = filed_by or f.org_code
    return submit(f, org, f"staff-{org}")
