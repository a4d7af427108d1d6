"""The application form as the console posts it (flat fields, yuan, uploaded files) turned into
the API's `ApplicationForm`, and its errors back into Chinese messages beside each field."""

from __future__ import annotations

import hashlib
from typing import Any

import asyncpg
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from contracts.applications import DocumentKind
from services.intake.domain import ApplicationForm
from services.intake.field_errors import field_error
from services.intake.spreadsheet import RowError, yuan_to_fen

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
TEXT_FIELDS = ("org_code", "campaign_year", "household_id", "category", "program", "worker.name", "worker.id_number",
               "student.name", "student.id_number", "student.stage", "student.school", "student.graduation_year",
               "student.school_tier", "bank_card", "phone")


class FormProblem(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in flat.items():
        target = data
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return data


async def store_documents(conn: asyncpg.Connection, form: FormData, uploaded_by: str) -> list[dict]:
    """Each uploaded file kept by its SHA-256; the application names it `doc_<sha256>`. A file
    uploaded with a form that came back with errors is kept (`kept.<kind>`), not asked again."""
    documents = []
    for kind in DocumentKind:
        upload = form.get(f"doc.{kind.value}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            kept = str(form.get(f"kept.{kind.value}") or "")
            if kept and await conn.fetchval("SELECT 1 FROM documents WHERE sha256 = $1", kept):
                documents.append({"kind": kind.value, "ref": f"doc_{kept}", "sha256": kept})
            continue
        content = await upload.read(MAX_DOCUMENT_BYTES + 1)
        if len(content) > MAX_DOCUMENT_BYTES:
            raise FormProblem({f"doc.{kind.value}": "文件超过10MB"})
        digest = hashlib.sha256(content).hexdigest()
        await conn.execute("INSERT INTO documents VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", digest,
                           upload.filename[:200], upload.content_type or "application/octet-stream", content,
                           uploaded_by)
        documents.append({"kind": kind.value, "ref": f"doc_{digest}", "sha256": digest})
    return documents


def application_form(form: FormData, submission_id: str, documents: list[dict]) -> ApplicationForm:
    """The API's form from the console's fields; `FormProblem` maps each bad field to its message."""
    flat: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in TEXT_FIELDS}
    flat = {k: v for k, v in flat.items() if v != "" or k in ("worker.name", "worker.id_number", "student.name",
                                                              "student.id_number", "bank_card")}
    flat["submission_id"] = submission_id
    flat["student.new_entrant"] = form.get("student.new_entrant") == "on"
    flat["relative_of_staff"] = form.get("relative_of_staff") == "on"
    errors: dict[str, str] = {}
    try:
        flat["tuition_invoice_fen"] = yuan_to_fen(str(form.get("tuition_yuan") or "0"), "tuition_yuan")
    except RowError as e:
        errors["tuition_yuan"] = e.message
    data = _nested(flat)
    data["documents"] = documents
    try:
        parsed = ApplicationForm.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            problem = field_error(e)
            errors.setdefault(problem["field"] or "form", problem["message"])
        raise FormProblem(errors) from None
    if errors:
        raise FormProblem(errors)
    return parsed
