"""The demo's 阳光就业 season, as union staff do it over HTTP: the city and Hefei hold job fairs;
each county files the 实名制档案 of its cohort graduates; a third are handed to Hefei, which
accepts half and returns the rest; graduates are recommended to posts, trained (with subsidies
from central funds, through the ledger), interned, paired and placed; the counties send their
stage report (利辛县 does not, and shows as 逾期)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import asyncpg

from services.demo.season import (
    CITY,
    COUNTIES,
    DESTINATION,
    SHORT_COUNTY,
    YEAR,
    EmploymentPlan,
    GraduatePlan,
    replacement_card,
)
from services.demo.staff_http import Answer, StaffHttp

CITY_POSTS = [{"post_id": f"bz-{i}", "employer": employer, "title": title, "kind": kind, "openings": openings}
              for i, (employer, title, kind, openings) in enumerate([
                  ("亳州某药业有限公司", "质检员", "job", 8), ("亳州某药业有限公司", "生产实习生", "internship", 10),
                  ("亳州某物流公司", "调度员", "job", 5), ("蒙城某机械厂", "数控技术员", "job", 6),
                  ("亳州市职工服务中心", "暑期勤工俭学助理", "work_study", 12)])]
HEFEI_POSTS = [{"post_id": f"hf-{i}", "employer": employer, "title": title, "kind": kind, "openings": openings}
               for i, (employer, title, kind, openings) in enumerate([
                   ("合肥某科技公司", "软件测试工程师", "job", 10), ("合肥某新能源公司", "工艺实习生", "internship", 15),
                   ("合肥某银行", "柜员", "job", 4)])]


class Desk:
    """One union's staff at the console API: each request under that union's token."""

    def __init__(self, http: StaffHttp) -> None:
        self.http = http

    async def post(self, org: str, path: str, body: dict | None = None) -> Answer:
        response = await self.http.post(org, path, body)
        response.raise_for_status()
        return response


async def _until(count: Callable[[], Awaitable[int]], wanted: int, what: str, timeout: float = 60) -> None:
    """Until `count` reaches `wanted`; a timeout says how far it got, so that a stalled service
    can be told from a slow one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (found := await count()) < wanted:
        if loop.time() > deadline:
            raise TimeoutError(f"the services did not catch up: {what} ({found} of {wanted} after {timeout:.0f} s)")
        await asyncio.sleep(0.25)  # each probe counts a table: polling harder only loads the database


async def _each(items, act: Callable, limit: int = 16) -> list:
    gate = asyncio.Semaphore(limit)

    async def one(item):
        async with gate:
            return await act(item)
    return await asyncio.gather(*(one(i) for i in items))


async def play_employment(desk: Desk, plan: EmploymentPlan, conn: asyncpg.Connection,
                          tick: Callable[[dt.date], Awaitable[None]]) -> dict[str, int]:
    """The season's second half; returns what was done, for the demo's summary."""
    graduates = plan.graduates
    city_fair = (await desk.post(CITY, "/v1/job-fairs", {
        "org_code": CITY, "name": f"亳州市{YEAR}年困难职工家庭高校毕业生就业双选会", "kind": "onsite",
        "held_on": f"{YEAR}-08-18", "posts": CITY_POSTS})).json()["id"]
    hefei_fair = (await desk.post(DESTINATION, "/v1/job-fairs", {
        "org_code": DESTINATION, "name": f"合肥市{YEAR}年高校毕业生线上招聘会", "kind": "online",
        "held_on": f"{YEAR}-08-22", "posts": HEFEI_POSTS})).json()["id"]
    await _until(lambda: _count(conn, "SELECT count(*) FROM intake.graduates_view WHERE graduate_id = ANY($1)",
                                [g.graduate_id for g in graduates]), len(graduates), "graduates registered")

    async def profile_and_hand_off(g: GraduatePlan) -> str | None:
        to_hefei = g.handed_off
        await desk.post(g.origin, f"/v1/graduates/{g.graduate_id}/profile", {
            "major": ["药学", "机械设计制造及其自动化", "软件工程", "会计学"][g.n % 4],
            "family_situation": "在档困难职工家庭", "intended_city": "合肥" if to_hefei else "亳州",
            "intended_org": DESTINATION if to_hefei else CITY, "intended_industry": ["医药", "制造", "信息技术"][g.n % 3],
            "needs": ["job_recommendation", "skills_training"] if g.n % 4 == 1 else ["job_recommendation"]})
        if not to_hefei:
            return None
        return (await desk.post(g.origin, f"/v1/graduates/{g.graduate_id}/handoffs",
                                {"to_org": DESTINATION, "note": "本人意向在合肥就业"})).json()["id"]

    handoffs = dict(zip([g.graduate_id for g in graduates], await _each(graduates, profile_and_hand_off), strict=True))
    handed = [g for g in graduates if g.handed_off]
    await _until(lambda: _count(conn, "SELECT count(*) FROM intake.graduates_view WHERE graduate_id = ANY($1) "
                                "AND handoff_status = 'pending'", [g.graduate_id for g in handed]),
                 len(handed), "handoffs seen")
    await _each(handed, lambda g: desk.post(DESTINATION, f"/v1/graduates/{g.graduate_id}/handoffs/"
                                                         f"{handoffs[g.graduate_id]}/answer",
                                            {"accepted": g.accepted, "note": "" if g.accepted else "岗位不匹配，退回生源地"}))
    await _until(lambda: _count(conn, "SELECT count(*) FROM intake.graduates_view WHERE graduate_id = ANY($1) "
                                "AND handoff_status IN ('accepted', 'returned')", [g.graduate_id for g in handed]),
                 len(handed), "handoffs answered")
    await _until(lambda: _count(conn, "SELECT count(*) FROM intake.job_fairs_view"), 2, "job fairs seen")

    async def serve(g: GraduatePlan) -> None:
        keeper, path = g.keeper, f"/v1/graduates/{g.graduate_id}"
        fair, posts = (hefei_fair, HEFEI_POSTS) if g.accepted else (city_fair, CITY_POSTS)
        job = [p for p in posts if p["kind"] == "job"][g.n % 2]
        await desk.post(keeper, f"{path}/recommendations", {"fair_id": fair, "post_id": job["post_id"]})
        day = f"{YEAR}-08-{20 + g.n % 8:02d}"
        if g.n % 4 == 1:
            await desk.post(keeper, f"{path}/progress", {"stage": "training", "recorded_on": day})
        if g.n % 4 == 2:
            internship = next(p for p in posts if p["kind"] == "internship")
            await desk.post(keeper, f"{path}/progress", {"stage": "internship", "recorded_on": day,
                                                         "employer": internship["employer"],
                                                         "post_id": internship["post_id"]})
        for kind, payer, fen in g.subsidies:
            await desk.post(payer, f"{path}/subsidies", {"kind": kind, "amount_fen": fen, "bank_card":
                                                        replacement_card(f"{g.graduate_id}-{kind}"),
                                                        "payee": "亳州市某职业培训学校" if kind == "training" else "毕业生本人"})
        if g.n % 5 == 0:
            await desk.post(keeper, f"{path}/supports", {"kind": "pairing", "partner": "亳州市劳动模范协会结对导师"})
        if g.n % 9 == 8:
            await desk.post(keeper, f"{path}/supports", {"kind": "startup_mentor", "partner": "亳州市创业导师团"})
        outcome = ("employed", "contract", "job_seeking", "grassroots", "further_study", "interview")[(g.n + g.n // 6) % 6]
        body = {"stage": outcome, "recorded_on": f"{YEAR}-09-{1 + g.n % 28:02d}"}
        if outcome in ("employed", "contract", "interview"):
            body |= {"employer": job["employer"], "post_id": job["post_id"]}
        if outcome == "grassroots":
            body["program"] = "three_supports"
        await desk.post(keeper, f"{path}/progress", body)

    await _each(graduates, serve)
    subsidies = sum(len(g.subsidies) for g in graduates)
    await _until(lambda: _count(conn, "SELECT count(*) FROM intake.ledger_view WHERE kind = 'subsidy'"),
                 subsidies, "subsidies paid")
    # the counties send the city their stage report by 08-29, all but 利辛县; and their 附件7,
    # due 07-14 before this demo's campaign dates began, late (逾期报送)
    await tick(dt.date(YEAR, 8, 28))
    for county in COUNTIES:
        await desk.post(county, "/v1/deadlines/archive_and_demand/submission")
        if county != SHORT_COUNTY:
            await desk.post(county, "/v1/deadlines/stage_report_1/submission")
    await tick(dt.date(YEAR, 8, 30))
    return {"graduates": len(graduates), "handed_off": len(handed), "accepted": sum(g.accepted for g in graduates),
            "subsidies": subsidies}


async def _count(conn: asyncpg.Connection, sql: str, arg=None) -> int:
    return await (conn.fetchval(sql, arg) if arg is not None else conn.fetchval(sql))
