"""阳光就业 end to end on the real broker and PostgreSQL: a graduate's file kept by the origin
union, handed to a destination union that accepts it, a job fair, a recommendation, progress to
就业, a training subsidy paid from central funds through the ledger; each rule refuses with
nothing changed; the reports show it by origin and destination and agree with the ledger."""

import io

import httpx
from openpyxl import load_workbook

from contracts.employment import EmploymentProgressRecorded, EmploymentStage
from contracts.topics import DEAD_LETTER, DEAD_LETTER_REASON_HEADER
from services.audit.verify import verify_lines
from services.intake.api import create_api
from services.reports.outputs import write_ledger
from tests.factories import application, auth, bank_card
from tests.integration.services import running
from tests.integration.test_disbursement import allocation
from tests.integration.test_verification import tick
from tests.kafka_helpers import as_union, eventually, ledger_chained, publish_events, read_topic

ORIGIN, CITY, DEST, NEIGHBOUR, ELSEWHERE = "341602", "341600", "340100", "341621", "610200"
POSTS = [{"post_id": "p1", "employer": "合肥某科技公司", "title": "测试工程师", "openings": 3},
         {"post_id": "p2", "employer": "亳州某药业", "title": "质检实习", "kind": "internship"}]


def rows_of(content: bytes) -> tuple[list[str], dict[str, tuple]]:
    sheet = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    return list(sheet[2]), {row[0]: row for row in sheet[3:]}


async def test_a_graduate_handed_to_a_destination_union_recommended_placed_and_subsidised(settings, tmp_path, db):
    graduate = application(1, student={"stage": "undergraduate", "graduation_year": 2023, "school": "安徽大学"})
    old_graduate = application(2, student={"stage": "undergraduate", "graduation_year": 2020})
    gid = graduate.student_key
    async with running(settings, "intake", "employment", "disbursement") as (intake, _, _):
        api = create_api(lambda: intake.pool, intake.authority)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://intake") as client:
            def post(org: str, path: str, body: dict) -> httpx.Response:
                return client.post(path, json=body, headers=auth(org))

            funds = allocation(500_000, ORIGIN)
            await publish_events(settings, [*tick(10), (funds, as_union(funds, "340000"))])
            await publish_events(settings, [(a, as_union(a)) for a in (graduate, old_graduate)])
            await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.graduates_view"), lambda n: n == 1)

            profiled = await post(ORIGIN, f"/v1/graduates/{gid}/profile", {
                "major": "软件工程", "intended_city": "合肥", "intended_org": DEST, "needs": ["job_recommendation"]})
            by_neighbour = await post(NEIGHBOUR, f"/v1/graduates/{gid}/progress",
                                      {"stage": "employed", "recorded_on": "2023-08-10"})
            within_line = await post(ORIGIN, f"/v1/graduates/{gid}/handoffs", {"to_org": CITY})
            handed = await post(ORIGIN, f"/v1/graduates/{gid}/handoffs", {"to_org": DEST, "note": "意向合肥"})
            await eventually(lambda: db.fetchval("SELECT handoff_status FROM intake.graduates_view"),
                             lambda s: s == "pending")
            before_accepting = await post(DEST, f"/v1/graduates/{gid}/progress",
                                          {"stage": "interview", "recorded_on": "2023-08-10"})
            offered = await client.get("/v1/graduates", headers=auth(DEST))
            accepted = await post(DEST, f"/v1/graduates/{gid}/handoffs/{handed.json()['id']}/answer",
                                  {"accepted": True})
            fair = await post(CITY, "/v1/job-fairs", {"org_code": CITY, "name": "亳州市高校毕业生线上招聘会",
                                                      "kind": "online", "held_on": "2023-08-10", "posts": POSTS})
            await eventually(lambda: db.fetchval("SELECT handoff_status FROM intake.graduates_view"),
                             lambda s: s == "accepted")
            await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.job_fairs_view"), lambda n: n == 1)
            unknown_post = await post(DEST, f"/v1/graduates/{gid}/recommendations",
                                      {"fair_id": fair.json()["id"], "post_id": "p9"})
            recommended = await post(DEST, f"/v1/graduates/{gid}/recommendations",
                                     {"fair_id": fair.json()["id"], "post_id": "p1"})
            placed = await post(DEST, f"/v1/graduates/{gid}/progress",
                                {"stage": "employed", "recorded_on": "2023-08-12", "employer": "合肥某科技公司",
                                 "post_id": "p1"})
            subsidy = {"kind": "training", "amount_fen": 120_000, "payee": "亳州某职业培训学校", "bank_card": bank_card(7)}
            over_cap = await post(ORIGIN, f"/v1/graduates/{gid}/subsidies", {**subsidy, "amount_fen": 150_001})
            subsidised = await post(ORIGIN, f"/v1/graduates/{gid}/subsidies", subsidy)
            # a union elsewhere in the country, signed with its own key, straight to Kafka
            stray = EmploymentProgressRecorded(graduate_id=gid, org_code=ELSEWHERE, stage=EmploymentStage.UNEMPLOYED,
                                               recorded_on="2023-08-13")
            await publish_events(settings, [(stray, as_union(stray, ELSEWHERE))])
            dead = await eventually(lambda: read_topic(settings, DEAD_LETTER, idle=0.5), lambda r: len(r) >= 1)
            await eventually(lambda: db.fetchval("SELECT count(*) FROM disbursement.ledger_entries WHERE kind = "
                                                 "'subsidy'"), lambda n: n == 1)
            view = await eventually(lambda: db.fetchrow("SELECT * FROM intake.graduates_view"),
                                    lambda r: r["stage"] == "employed" and r["subsidies"] == ["training"])
            await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.ledger_view WHERE kind = 'subsidy'"),
                             lambda n: n == 1)
            twice = await post(ORIGIN, f"/v1/graduates/{gid}/subsidies", subsidy)
            again = await post(DEST, f"/v1/graduates/{gid}/recommendations",
                               {"fair_id": fair.json()["id"], "post_id": "p1"})
            province = await client.get("/v1/reports/employment.xlsx?org=340000", headers=auth("340000"))
            city = await client.get("/v1/reports/employment.xlsx", headers=auth(CITY))
            not_theirs = await client.get("/v1/reports/employment.xlsx?org=340000", headers=auth(NEIGHBOUR))
            file = await client.get(f"/v1/graduates/{gid}", headers=auth(DEST))
            hidden = await client.get(f"/v1/graduates/{gid}", headers=auth(NEIGHBOUR))
        subsidy_fen = await db.fetchval("SELECT sum(amount_fen) FROM disbursement.ledger_entries WHERE kind = 'subsidy'")
        file_row = await db.fetchrow("SELECT * FROM employment.graduates WHERE graduate_id = $1", gid)
        await ledger_chained(db)
        await write_ledger(db, tmp_path / "ledger.jsonl")
    for response in (profiled, handed, accepted, fair, recommended, placed, subsidised):
        assert response.status_code == 201, response.text
    codes = {name: (r.status_code, r.json().get("errors", [{"code": r.text}])[0]["code"]) for name, r in {
        "neighbour": by_neighbour, "within_line": within_line, "before_accepting": before_accepting,
        "unknown_post": unknown_post, "over_cap": over_cap, "twice": twice, "again": again,
        "not_theirs": not_theirs, "hidden": hidden}.items()}
    assert codes == {"neighbour": (403, "org_out_of_scope"), "within_line": (422, "handoff_within_line"),
                     "before_accepting": (403, "org_out_of_scope"), "unknown_post": (404, "post_not_found"),
                     "over_cap": (422, "subsidy_over_cap"), "twice": (409, "subsidy_already_granted"),
                     "again": (409, "already_recommended"), "not_theirs": (403, "org_out_of_scope"),
                     "hidden": (403, "org_out_of_scope")}
    assert [g["graduate_id"] for g in offered.json()["items"]] == [gid]  # the destination sees the offer
    assert dict(dead[-1].headers)[DEAD_LETTER_REASON_HEADER].decode().startswith("org_out_of_scope")
    # nothing the refused acts asked for happened; the file is the fold of what was accepted
    assert (file_row["status"], file_row["employer"], file_row["destination_org"]) == ("employed", "合肥某科技公司", DEST)
    assert [h["event"] for h in file_row["history"]] == [
        "graduate.profiled", "graduate.handed_off", "handoff.answered", "graduate.recommended",
        "employment_progress.recorded", "subsidy.requested"]
    assert file_row["profile"]["intended_org"] == DEST and view["recommended"] == [f"{fair.json()['id']}/p1"]
    assert file.json()["handoff_to"] == DEST
    # the subsidy went through the ledger from the origin's central fund, and the audit holds
    with (tmp_path / "ledger.jsonl").open() as f:
        audit = verify_lines(f)
    assert audit.passed and audit.subsidies == 1
    assert audit.balances["fund:central:341602"] == 500_000 - 120_000
    # 附件9 for the province: Bozhou as origin (handed off, fair, subsidy), Hefei as destination
    assert province.status_code == 200
    header, rows = rows_of(province.content)
    col = {name: i for i, name in enumerate(header)}
    bozhou, hefei = rows[CITY], rows[DEST]
    assert (bozhou[col["登记毕业生"]], bozhou[col["就业"]], bozhou[col["转介至意向工作地"]], bozhou[col["举办招聘会（场）"]],
            bozhou[col["提供岗位（个）"]], bozhou[col["就业补贴（人次）"]]) == (1, 1, 1, 1, 4, 1)
    assert bozhou[col["就业补贴金额（元，央财帮扶资金）"]] * 100 == subsidy_fen == 120_000  # the report agrees with the ledger
    assert (hefei[col["作为意向工作地接收"]], hefei[col["接收后落实去向"]], hefei[col["岗位推荐（人次）"]]) == (1, 1, 1)
    _, county_rows = rows_of(city.content)
    assert set(county_rows) == {ORIGIN, CITY, "合计"}  # its county, itself (the fair); Hefei is not in its subtree
    assert county_rows[CITY][col["举办招聘会（场）"]] == 1 and county_rows[ORIGIN][col["登记毕业生"]] == 1
