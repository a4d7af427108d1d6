"""HTTP routes for 阳光就业 files, job fairs, the calendar's reports and the national export
(each act through services/intake/graduates.py, as the console does)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from contracts.base import OrgCode
from contracts.employment import (
    EmploymentStage,
    FairKind,
    GrassrootsProgram,
    Post,
    Profile,
    SubsidyKind,
    SupportKind,
)
from services.intake import graduates
from services.intake.acts import record_submission
from services.intake.answers import ACT_REFUSALS, refusals
from services.intake.clock import campaign_today
from services.intake.deps import XLSX, AuthorityDep, CurrentPrincipal, PoolDep
from services.intake.domain import BankCard
from services.intake.national_export import national_workbook, paid_records
from services.intake.reports import deadlines_below, report_workbook
from services.intake.views import Deadlines, GraduateList, GraduateView
from services.reports.annexes import REPORTS
from services.shared.errors import Refused

log = structlog.get_logger(__name__)


class HandoffForm(BaseModel):
    to_org: OrgCode = Field(description="意向工作地工会代码")
    note: str = Field(default="", max_length=500)


class HandoffAnswerForm(BaseModel):
    accepted: bool = Field(description="true 接收 / false 退回")
    note: str = Field(default="", max_length=500)


class JobFairForm(BaseModel):
    org_code: OrgCode
    name: str = Field(min_length=1, max_length=200)
    kind: FairKind
    held_on: dt.date
    posts: list[Post] = Field(min_length=1, max_length=5000)


class RecommendationForm(BaseModel):
    fair_id: str = Field(min_length=1, max_length=64)
    post_id: str = Field(min_length=1, max_length=64)


class ProgressForm(BaseModel):
    stage: EmploymentStage
    recorded_on: dt.date
    employer: str | None = Field(default=None, max_length=100)
    post_id: str | None = Field(default=None, max_length=64)
    program: GrassrootsProgram | None = None


class SupportForm(BaseModel):
    kind: SupportKind
    partner: str = Field(min_length=1, max_length=100, description="导师、场地或结对人")


class SubsidyForm(BaseModel):
    kind: SubsidyKind
    amount_fen: int = Field(gt=0, description="补贴金额（分）")
    payee: str = Field(min_length=1, max_length=100, description="收款人")
    bank_card: BankCard


class Recorded(BaseModel):
    event: str
    id: str


def _recorded(event, id_field: str) -> Recorded:
    return Recorded(event=event.NAME, id=str(getattr(event, id_field)))


def employment_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["阳光就业"])

    @router.get("/graduates", response_model=GraduateList, responses=refusals())
    async def list_graduates(principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep) -> dict:
        """The graduates the caller's union keeps (its subtree as origin) or was handed."""
        rows = await graduates.graduates_seen_by(pool, authority, principal.org)
        return {"items": [_json(r) for r in rows]}

    @router.get("/graduates/{graduate_id}", response_model=GraduateView, responses=refusals(403, 404, 422))
    async def get_graduate(graduate_id: str, principal: CurrentPrincipal, pool: PoolDep,
                           authority: AuthorityDep) -> dict:
        view = await graduates.graduate_view(pool, graduate_id)
        if not graduates.visible_to(authority, principal.org, view):
            raise Refused("org_out_of_scope", "无权查看该毕业生档案")
        return _json(view)

    @router.post("/graduates/{graduate_id}/profile", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def profile(graduate_id: str, form: Profile, principal: CurrentPrincipal, pool: PoolDep,
                      authority: AuthorityDep) -> Recorded:
        """实名制档案: 专业方向, 家庭状况, 就业意愿 (city, union, industry), 援助需求."""
        return _recorded(await graduates.profile(pool, authority, principal, graduate_id, form.model_dump()),
                         "graduate_id")

    @router.post("/graduates/{graduate_id}/handoffs", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def hand_off(graduate_id: str, form: HandoffForm, principal: CurrentPrincipal, pool: PoolDep,
                       authority: AuthorityDep) -> Recorded:
        """生源地工会 hands the graduate to the union of the city they intend to work in."""
        return _recorded(await graduates.hand_off(pool, authority, principal, graduate_id, form.to_org, form.note),
                         "handoff_id")

    @router.post("/graduates/{graduate_id}/handoffs/{handoff_id}/answer", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def answer(graduate_id: str, handoff_id: str, form: HandoffAnswerForm, principal: CurrentPrincipal,
                     pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """The destination union accepts (then keeps the file with the origin) or returns it."""
        return _recorded(await graduates.answer_handoff(pool, authority, principal, graduate_id, handoff_id,
                                                        form.accepted, form.note), "handoff_id")

    @router.post("/job-fairs", status_code=201, response_model=Recorded, responses=refusals(403, 409, 422))
    async def job_fair(form: JobFairForm, principal: CurrentPrincipal, pool: PoolDep,
                       authority: AuthorityDep) -> Recorded:
        """校企对接 and 线上线下招聘会, with the posts offered (jobs, internships, work-study)."""
        return _recorded(await graduates.hold_job_fair(pool, authority, principal, form.org_code, form.name, form.kind,
                                                       form.held_on, form.posts), "fair_id")

    @router.post("/graduates/{graduate_id}/recommendations", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def recommend(graduate_id: str, form: RecommendationForm, principal: CurrentPrincipal, pool: PoolDep,
                        authority: AuthorityDep) -> Recorded:
        return _recorded(await graduates.recommend(pool, authority, principal, graduate_id, form.fair_id,
                                                   form.post_id), "recommendation_id")

    @router.post("/graduates/{graduate_id}/progress", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def progress(graduate_id: str, form: ProgressForm, principal: CurrentPrincipal, pool: PoolDep,
                       authority: AuthorityDep) -> Recorded:
        """入学 → 培训 → 实习 → 求职 → 洽谈 → 签约 → 就业, or 未就业 / 升学 / 基层项目."""
        return _recorded(await graduates.record_progress(pool, authority, principal, graduate_id,
                                                         **form.model_dump()), "graduate_id")

    @router.post("/graduates/{graduate_id}/supports", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def support(graduate_id: str, form: SupportForm, principal: CurrentPrincipal, pool: PoolDep,
                      authority: AuthorityDep) -> Recorded:
        """创业扶持 (mentor, space) and 一帮一 pairing with a donor or model worker."""
        return _recorded(await graduates.arrange_support(pool, authority, principal, graduate_id, form.kind,
                                                         form.partner), "support_id")

    @router.post("/graduates/{graduate_id}/subsidies", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def subsidy(graduate_id: str, form: SubsidyForm, principal: CurrentPrincipal, pool: PoolDep,
                      authority: AuthorityDep, request: Request) -> Recorded:
        """Training, placement, work-study and start-up subsidies, paid from central assistance
        funds through the ledger like grants, within the policy's cap, once per kind."""
        year = (await campaign_today(pool) or dt.date.today()).year
        return _recorded(await graduates.request_subsidy(
            pool, authority, principal, request.app.state.policies, year, graduate_id, form.kind, form.amount_fen,
            form.payee, form.bank_card), "subsidy_id")

    return router


def reports_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["报表"])

    def _top(principal, authority, org: str | None) -> str:
        top = org or principal.org
        if top not in authority.tree.orgs:
            raise Refused("org_not_found", f"没有工会代码{top}")
        authority.require_scope(principal.org, top)
        return top

    @router.get("/reports/{name}.xlsx", responses=refusals(403, 404, 422))
    async def report(name: str, principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep,
                     request: Request, org: str | None = None, year: int = 2023,
                     as_of: Annotated[dt.date | None, Query(description="活动日期：截至当日")] = None) -> Response:
        """附件7 (demand), 附件8 (activity), 附件9 (employment) or the stage report, for the
        caller's union or one below it, rolled up to the unions directly below; live or as of a day."""
        if name not in REPORTS:
            raise Refused("report_not_found", "没有这张报表（demand、activity、employment、stage）")
        top = _top(principal, authority, org)
        content = await report_workbook(pool, authority.tree, request.app.state.policies, name, top, year, as_of)
        return Response(content, media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(REPORTS[name][0])}"})

    @router.get("/deadlines", response_model=Deadlines, responses=refusals(403, 404, 422))
    async def deadlines(principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep, request: Request,
                        org: str | None = None, year: int = 2023) -> dict:
        """The calendar's reports of the unions directly below: 已报送, 逾期报送, 逾期 or 未到期."""
        top = _top(principal, authority, org)
        return {"org_code": top, "items": await deadlines_below(pool, authority.tree, request.app.state.policies, top, year)}

    @router.post("/deadlines/{deadline}/submission", status_code=201, response_model=Recorded,
                 responses=ACT_REFUSALS)
    async def submit_report(deadline: str, principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep,
                            request: Request, year: int = 2023) -> Recorded:
        """The caller's union has sent the report due on `deadline` (a code of its policy's calendar)."""
        event = await record_submission(pool, authority, request.app.state.policies, principal, deadline, year)
        return Recorded(event=event.NAME, id=event.deadline)

    @router.get("/exports/national.xlsx", responses=refusals(403, 404, 422))
    async def national_export(principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep,
                              org: str | None = None, year: int = 2023) -> Response:
        """Aid paid to filed households, laid out for 工会帮扶工作管理系统 (docs/national-export.md)."""
        top = _top(principal, authority, org)
        records = await paid_records(pool, [c for c in authority.tree.orgs if authority.tree.may_act(top, c)])
        log.info("national_export", org=top, records=len(records))
        return Response(national_workbook(records, authority.tree, top, year), media_type=XLSX, headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote('帮扶记录_' + top + '.xlsx')}"})

    return router


def _json(view: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in view.items()}
