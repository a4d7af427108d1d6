"""Services killed mid-flight (SIGKILL: no offset commit, no clean shutdown) and restarted:
the season still completes, nothing is paid twice, and the audit passes."""

import asyncio
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from services.demo.season import generate
from tests import service_logs

JINQIU = str(Path(sys.executable).parent / "jinqiu")
N, SEED = 200, 3


def test_a_season_survives_killed_services(endpoints, tmp_path):
    base = endpoints.database_url.rsplit("/", 1)[0]

    async def create() -> None:
        conn = await asyncpg.connect(endpoints.database_url)
        await conn.execute('CREATE DATABASE "crash"')
        await conn.close()

    asyncio.run(create())
    env = {**os.environ, **endpoints.settings_env(),
           "DATABASE_URL": f"{base}/crash", "JINQIU_NAMESPACE": "crash."}
    done = subprocess.run([JINQIU, "demo", "--applications", str(N), "--seed", str(SEED), "--crash",
                           "--out", str(tmp_path)], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr + service_logs.summary(tmp_path / "logs")
    assert "audit passed" in done.stdout
    with (tmp_path / "decisions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len({r["application_id"] for r in rows}) == N + len(generate(N, SEED).refiled_by_city)
    for service in ("verification", "disbursement"):
        log = (tmp_path / "logs" / f"{service}.jsonl").read_text(encoding="utf-8")
        assert log.count('"service_started"') == 2, f"{service} was not restarted"
    replays = {s: subprocess.run([JINQIU, "replay", s], env=env, capture_output=True, text=True, timeout=120)
               for s in ("verification", "employment", "disbursement")}
    for service, replay in replays.items():
        assert replay.returncode == 0 and "DIFFERENT" not in replay.stdout, (service, replay.stdout + replay.stderr)
        assert replay.stdout.count("equal") >= 1

    async def drift() -> None:  # a projection row edited behind the events' back
        conn = await asyncpg.connect(f"{base}/crash")
        await conn.execute("UPDATE verification.reviews SET status = 'approved' WHERE application_id = "
                           "(SELECT application_id FROM verification.reviews WHERE status = 'rejected' LIMIT 1)")
        await conn.close()

    asyncio.run(drift())
    caught = subprocess.run([JINQIU, "replay", "verification"], env=env, capture_output=True, text=True, timeout=120)
    assert caught.returncode == 1 and "projection_drift" in caught.stdout
    rebuilt = subprocess.run([JINQIU, "replay", "verification", "--write"], env=env, capture_output=True, text=True)
    assert rebuilt.returncode == 0
    again = subprocess.run([JINQIU, "replay", "verification"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout

    # what the city and the province send up, live: the city's rows are its counties, the
    # province's row is the city, and both totals are the ledger's live grants
    from openpyxl import load_workbook

    async def live_grants() -> int:
        conn = await asyncpg.connect(f"{base}/crash")
        try:
            return await conn.fetchval(
                "SELECT sum(amount_fen) FROM disbursement.ledger_entries g WHERE kind = 'grant' AND NOT EXISTS "
                "(SELECT 1 FROM disbursement.ledger_entries r WHERE r.reverses = g.transfer_id)")
        finally:
            await conn.close()

    expected = asyncio.run(live_grants())
    for org, rows_are in (("341600", {"谯城区总工会", "涡阳县总工会", "蒙城县总工会", "利辛县总工会"}),
                          ("340000", {"亳州市总工会"})):
        out = tmp_path / f"annex8-{org}.xlsx"
        for _ in range(30):  # intake's projection may still be catching up with the last events
            made = subprocess.run([JINQIU, "report", "附件8", "--org", org, "--out", str(out)], env=env,
                                  capture_output=True, text=True, timeout=60)
            assert made.returncode == 0, made.stdout + made.stderr
            sheet = list(load_workbook(out).active.iter_rows(values_only=True))
            if round(sheet[-1][5] * 100) == expected:
                break
            time.sleep(1)
        assert sheet[0][0].startswith("附件8 2023年安徽省工会金秋助学活动情况统计表") and sheet[-1][0] == "合计"
        assert {r[1] for r in sheet[3:-1]} == rows_are and round(sheet[-1][5] * 100) == expected
