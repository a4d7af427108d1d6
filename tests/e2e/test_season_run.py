"""`jinqiu season run` on a county's own files, as a new user would run it."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

from services.demo.season import generate
from services.season.samples import spoilt_students, write_employment, write_sample

JINQIU = str(Path(sys.executable).parent / "jinqiu")
ROWS, BAD_SHARE, SEED = 300, 0.05, 11


def test_exactly_the_bad_rows_are_reported_and_every_good_row_is_decided(endpoints, tmp_path):
    bad_rows = write_sample(generate(ROWS, SEED), tmp_path / "in", BAD_SHARE, SEED)
    employment_rows = write_employment(generate(ROWS, SEED), tmp_path / "in",
                                       spoilt_students(generate(ROWS, SEED), bad_rows))
    _create_database(endpoints, "season")
    env = {**os.environ, **endpoints.settings_env(),
           "DATABASE_URL": endpoints.database_url.rsplit("/", 1)[0] + "/season", "JINQIU_NAMESPACE": "season."}
    done = subprocess.run([JINQIU, "season", "run", "--input", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                           "--close-notice"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    written = json.loads((tmp_path / "out" / "import_report.json").read_text(encoding="utf-8"))
    report = written["imports"][0]
    # the 阳光就业 files: every row handled; the one from a union with no right to the graduate refused
    assert written["employment"] == {"published": employment_rows, "accepted": employment_rows - 1, "refused": 1}
    assert written["registry_problems"] == []
    assert report["rows"] == ROWS and report["refused"] == len(bad_rows) == round(ROWS * BAD_SHARE)
    assert sorted({e["row"] for e in report["errors"]}) == bad_rows
    assert all(e["code"] and e["message"] and e["column"] for e in report["errors"])

    sheet = load_workbook(tmp_path / "out" / "errors-applications.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "行号" and rows[0][-2:] == ("错误代码", "错误说明")
    assert [r[0] for r in rows[1:]] == bad_rows

    with (tmp_path / "out" / "decisions.csv").open(encoding="utf-8") as f:
        decisions = list(csv.DictReader(f))
    assert len(decisions) == report["accepted"] == ROWS - len(bad_rows)
    assert {d["decision"] for d in decisions} <= {"approved", "rejected", "manual_review"}
    assert any(d["decision"] == "approved" and int(d["amount_fen"]) > 0 for d in decisions)

    out = tmp_path / "out"
    head = json.loads((out / "ledger.head.json").read_text(encoding="utf-8"))
    policies = Path(__file__).parents[2] / "services" / "verification" / "policies"
    key = subprocess.run([JINQIU, "audit", "public-key"], env=env, capture_output=True, text=True).stdout.strip()
    assert len(key) == 64 and head["public_key"] == key

    def audit(head_file: Path, public_key: str) -> subprocess.CompletedProcess:
        return subprocess.run([JINQIU, "audit", "verify", str(out / "ledger.jsonl"), "--decisions",
                               str(out / "decisions.jsonl"), "--policies", str(policies), "--donations",
                               str(out / "donations.jsonl"), "--head", str(head_file), "--public-key", public_key],
                              capture_output=True, text=True)

    passed = audit(out / "ledger.head.json", key)
    assert passed.returncode == 0 and "audit passed" in passed.stdout, passed.stdout
    (tmp_path / "shorter.json").write_text(json.dumps({**head, "sequence": head["sequence"] - 1}))
    assert "signature does not match" in audit(tmp_path / "shorter.json", key).stdout
    from contracts.checkpoint import public_key_hex
    assert "another key" in audit(out / "ledger.head.json", public_key_hex("not the ledger's")).stdout

    # 附件9 of the season's union (the province): the subsidies it shows are the ledger's
    ledger = [json.loads(line)["data"] for line in (out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()]
    subsidies = sum(e["amount_fen"] for e in ledger if e["kind"] == "subsidy")
    sheet = list(load_workbook(out / "reports" / "340000" / "附件9_阳光就业暖心行动统计表.xlsx").active.iter_rows(values_only=True))
    column = sheet[2].index("就业补贴金额（元，央财帮扶资金）")
    assert subsidies > 0 and round(sheet[-1][column] * 100) == subsidies
    assert sheet[-1][sheet[2].index("转介至意向工作地")] > 0


def _create_database(endpoints, name: str) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(endpoints.database_url)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(create())
