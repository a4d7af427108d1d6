"""Reports any level pulls live or as of a campaign day, from intake's projections of events: the
same report as of two days differs exactly by what happened in between; a report not sent by
its due date shows as 逾期 in the view of the union above."""

import io
import os
import subprocess
import sys

import httpx
from openpyxl import load_workbook

from services.intake.api import create_api
from tests.factories import application, auth
from tests.integration.services import running
from tests.integration.test_verification import tick
from tests.kafka_helpers import as_union, eventually, publish_events


def sheet(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def applications_by_org(content: bytes) -> dict[str, int]:
    rows = sheet(content)
    column = rows[2].index("申请人数")
    found: dict[str, int] = {}
    for row in rows[3:]:
        if row[column] is None:  # the 合计 of an empty report
            continue
        found[row[0]] = found.get(row[0], 0) + row[column]
    return found


async def clock_at(db, day: int) -> None:
    await eventually(lambda: db.fetchval("SELECT today::text FROM intake.campaign_clock"),
                     lambda d: d == f"2023-08-{day:02d}")


async def test_reports_as_of_two_days_differ_by_what_happened_between_and_late_reports_show(settings, db, tmp_path):
    async with running(settings, "intake") as (intake,):
        api = create_api(lambda: intake.pool, intake.authority)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://intake") as client:
            await publish_events(settings, tick(10))
            await clock_at(db, 10)
            day_10 = [application(1), application(2), application(3, org_code="341621")]
            await publish_events(settings, [(a, as_union(a)) for a in day_10])
            await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.applications"), lambda n: n == 3)
            await publish_events(settings, tick(12))
            await clock_at(db, 12)
            day_12 = [application(4), application(5, org_code="341622")]
            await publish_events(settings, [(a, as_union(a)) for a in day_12])
            await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.applications"), lambda n: n == 5)
            await publish_events(settings, tick(28))
            await clock_at(db, 28)
            on_time = await client.post("/v1/deadlines/stage_report_1/submission", headers=auth("341602"))
            unknown = await client.post("/v1/deadlines/no_such_deadline/submission", headers=auth("341602"))
            await publish_events(settings, tick(30))
            await clock_at(db, 30)
            late = await client.post("/v1/deadlines/stage_report_1/submission", headers=auth("341621"))
            await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.report_submissions"), lambda n: n == 2)

            async def report(name: str, org: str, as_of: str | None = None) -> bytes:
                query = f"?org={org}" + (f"&as_of={as_of}" if as_of else "")
                response = await client.get(f"/v1/reports/{name}.xlsx{query}", headers=auth(org))
                assert response.status_code == 200, response.text
                return response.content

            before_any = applications_by_org(await report("demand", "341600", "2023-08-09"))
            as_of_10 = applications_by_org(await report("demand", "341600", "2023-08-10"))
            as_of_11 = applications_by_org(await report("demand", "341600", "2023-08-11"))
            as_of_12 = applications_by_org(await report("demand", "341600", "2023-08-12"))
            live = applications_by_org(await report("demand", "341600"))
            province = applications_by_org(await report("demand", "340000", "2023-08-12"))
            deadlines = (await client.get("/v1/deadlines", headers=auth("341600"))).json()["items"]
            stage = await report("stage", "341600")
    assert before_any == {}
    assert as_of_10 == {"341602": 2, "341621": 1, "合计": 3}
    assert as_of_11 == as_of_10  # no campaign day 11: the clock went from 10 to 12
    assert as_of_12 == {"341602": 3, "341621": 1, "341622": 1, "合计": 5}
    assert {k: as_of_12[k] - as_of_10.get(k, 0) for k in as_of_12} == {"341602": 1, "341621": 0, "341622": 1, "合计": 2}
    assert live == as_of_12 and province == {"341600": 5, "合计": 5}
    assert (on_time.status_code, late.status_code, unknown.status_code) == (201, 201, 404)
    stage_1 = {d["org_code"]: d["status"] for d in deadlines if d["deadline"] == "stage_report_1"}
    assert (stage_1["341602"], stage_1["341621"], stage_1["341622"]) == ("已报送", "逾期报送", "逾期")
    assert {d["status"] for d in deadlines if d["deadline"] == "final_report"} == {"未到期"}
    assert sheet(stage)[0][0].startswith("2023年安徽省工会金秋助学和阳光就业活动阶段性情况报告")

    # the same from the command line, as a city and as the province
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    for org, as_of, expected in (("341600", "2023-08-10", {"341602": 2, "341621": 1, "合计": 3}),
                                 ("340000", None, {"341600": 5, "合计": 5})):
        out = tmp_path / f"{org}.xlsx"
        args = ["report", "附件7", "--org", org, "--out", str(out), *(["--as-of", as_of] if as_of else [])]
        done = subprocess.run([sys.executable, "-m", "services.cli.main", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert applications_by_org(out.read_bytes()) == expected
