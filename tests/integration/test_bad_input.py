"""Intake never answers 500 to bad input: every case here gets a 4xx with a stable code and a
Chinese message, nothing is stored, and personal numbers are not echoed back. Then schemathesis
fuzzes the whole OpenAPI surface of a live server for a bounded time and fails on any 5xx."""

import asyncio
import csv
import io
import json
import shutil
import sys
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook

from deploy.ports import free_port
from services.intake.spreadsheet import HEADER_NAME
from services.season.samples import form_cells
from services.system import IntakeHttp
from tests.factories import auth, form
from tests.integration.services import running


def csv_bytes(cells: dict[str, str], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([HEADER_NAME[f] for f in cells])
    writer.writerow(list(cells.values()))
    return out.getvalue().encode(encoding)


def cells(**changes: str) -> dict[str, str]:
    return {**form_cells(form(1)), **changes}


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active.append(list(HEADER_NAME.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BAD_UPLOADS = {
    "nan_yuan": ("a.csv", csv_bytes(cells(tuition_invoice_yuan="NaN")), 201, "invalid_amount"),
    "huge_yuan": ("a.csv", csv_bytes(cells(tuition_invoice_yuan="1E+30")), 201, "invalid_amount"),
    "infinite_yuan": ("a.csv", csv_bytes(cells(tuition_invoice_yuan="-Infinity")), 201, "invalid_amount"),
    "bare_cr": ("a.csv", csv_bytes(cells()).replace(b"\r\n", b"\r"), 201, None),
    "cr_inside_a_name": ("a.csv", csv_bytes(cells(**{"worker.name": "王\r强"})), 201, "invalid_characters"),
    "nul_in_a_name": ("a.csv", csv_bytes(cells(**{"worker.name": "王\x00强"})), 422, "unreadable_file"),
    "utf16": ("a.csv", csv_bytes(cells(), "utf-16"), 422, "unreadable_file"),
    "binary": ("a.csv", bytes(range(256)) * 8, 422, "unreadable_file"),
    "truncated_xlsx": ("a.xlsx", xlsx_bytes()[:300], 422, "unreadable_file"),
    "not_a_workbook": ("a.xlsx", b"PK\x03\x04 this is not a workbook", 422, "unreadable_file"),
    "csv_named_xlsx": ("a.xlsx", csv_bytes(cells()), 422, "unreadable_file"),
    "empty": ("a.csv", b"", 422, "empty_file"),
    "unknown_columns": ("a.csv", "姓名,年龄\n张三,3\n".encode(), 422, "unknown_columns"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
async def test_a_bad_upload_gets_a_4xx_or_a_row_error_never_a_500(settings, case):
    filename, content, status, code = BAD_UPLOADS[case]
    async with running(settings, "intake") as (intake,), client_for(intake) as client:
        response = await client.post("/v1/imports", files={"file": (filename, content)})
    assert response.status_code == status, response.text
    body = response.json()
    codes = [e["code"] for e in body["errors"]]
    if code is None:
        assert body["accepted"] == 1 and codes == []  # a bare CR is a line break, as Excel on a Mac writes
    else:
        assert code in codes
        message = body["errors"][0]["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


async def test_an_upload_over_the_size_limit_is_refused_with_413(settings, monkeypatch):
    monkeypatch.setattr("services.intake.api.MAX_UPLOAD_BYTES", 1000)
    async with running(settings, "intake") as (intake,), client_for(intake) as client:
        response = await client.post("/v1/imports", files={"file": ("a.csv", b"x" * 2000)})
    assert response.status_code == 413 and response.json()["errors"][0]["code"] == "upload_too_large"


def client_for(intake) -> httpx.AsyncClient:
    from services.intake.api import create_api

    api = create_api(lambda: intake.pool, intake.authority)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://intake", headers=auth())


BAD_BODIES = {
    "nul_in_a_name": json.dumps(form(3, worker={"name": "王\x00强", "id_number": form(3)["worker"]["id_number"]})),
    "lone_surrogate": json.dumps(form(4), ensure_ascii=False).replace("王小明", "\\ud800明"),
    "nan_amount": json.dumps(form(5)).replace("150000", "NaN"),
    "huge_amount": json.dumps(form(6)).replace("150000", "1e400"),
    "not_json": "{not json",
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_a_bad_filing_gets_a_4xx(settings, db, case):
    async with running(settings, "intake") as (intake,), client_for(intake) as client:
        response = await client.post("/v1/applications", content=BAD_BODIES[case].encode(errors="surrogatepass"),
                                     headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert await db.fetchval("SELECT count(*) FROM intake.applications") == 0


async def test_refusals_do_not_echo_personal_numbers_typed_with_spaces(settings):
    card = form(1)["bank_card"]
    spaced = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    async with running(settings, "intake") as (intake,), client_for(intake) as client:
        response = await client.post("/v1/applications", json=form(1, bank_card=spaced + "9"))
        weird_path = await client.get("/v1/applications/a%00b")
    assert response.status_code == 422
    assert card[4:-4] not in response.text.replace(" ", "")
    assert weird_path.status_code in (404, 422)


@pytest.mark.skipif(shutil.which("schemathesis", path=str(Path(sys.executable).parent)) is None,
                    reason="schemathesis is a test dependency")
async def test_fuzzing_the_openapi_surface_finds_no_server_error(settings, tmp_path):
    async with running(settings, "intake") as (intake,):
        http = IntakeHttp(intake, "127.0.0.1", free_port())
        await http.start()
        try:
            fuzz = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "schemathesis"), "run", f"{http.url}/openapi.json",
                "--checks", "not_a_server_error", "--max-examples", "20", "--max-time", "45",
                "--header", f"Authorization: {auth()['Authorization']}", "--generation-deterministic",
                "--no-color", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            output, _ = await fuzz.communicate()
        finally:
            await http.stop()
    (tmp_path / "schemathesis.txt").write_bytes(output)
    assert fuzz.returncode == 0, output.decode(errors="replace")[-4000:]
