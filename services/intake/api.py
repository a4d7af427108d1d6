"""The HTTP face of intake (FastAPI, OpenAPI at /docs and /openapi.json)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import Depends, FastAPI, Header, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel, Field

from contracts.base import Event
from contracts.ledger import BankCardCorrected
from contracts.reviews import (
    AppealDecided,
    AppealFiled,
    ComplaintDecided,
    ComplaintFiled,
    ManualReviewDecided,
    ObjectionOutcome,
    ObjectionRaised,
    ObjectionResolved,
    ReviewOutcome,
    Ruling,
)
from services.intake.bulk import error_workbook, import_sheet
from services.intake.domain import ApplicationForm, BankCard
from services.intake.handlers import application_view, file_application, review_queue
from services.shared import eventstore, tracing
from services.shared.authority import Authority, Principal
from services.shared.errors import Refused
from services.shared.masking import mask_text

log = structlog.get_logger(__name__)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
STATUS_LABELS = {"submitted": "已提交", "manual_review": "待人工审核", "in_notice": "公示中", "approved": "已批准",
                 "rejected": "未通过", "paid": "已发放", "payment_failed": "银行退回", "reissued": "已重新发放",
                 "settled": "已到账", "appealed": "申诉中", "appeal_dismissed": "申诉未支持", "revoked": "已撤销"}
GRANTED = ("approved", "paid", "payment_failed", "reissued", "settled")
REFUSAL_STATUS = {"wrong_state": 409, "appeal_not_open": 409, "complaint_not_open": 409, "complaint_open": 409,
                  "objection_not_open": 409, "unauthenticated": 401, "application_not_found": 404, "import_not_found": 404,
                  "upload_too_large": 413, "too_many_rows": 413, "unreadable_file": 422, "empty_file": 422,
                  "unknown_columns": 422, "invalid_characters": 422, "invalid_amount": 422}
# The database is away (restarting, failing over): nothing was stored, the client may retry.
DATABASE_UNAVAILABLE = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
                        ConnectionError, OSError)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool_getter()


def _authority(request: Request) -> Authority:
    return request.app.state.authority


def _principal(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    token = authorization.removeprefix("Bearer ").strip() if authorization else None
    principal = request.app.state.authority.principal(token)
    structlog.contextvars.bind_contextvars(org=principal.org, user=principal.user)
    return principal


PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]
AuthorityDep = Annotated[Authority, Depends(_authority)]
CurrentPrincipal = Annotated[Principal, Depends(_principal)]


class Accepted(BaseModel):
    application_id: str
    status: str


class ObjectionForm(BaseModel):
    summary: str = Field(min_length=1, max_length=500, description="异议内容")


class ResolutionForm(BaseModel):
    outcome: ObjectionOutcome
    note: str = Field(default="", max_length=500)


class AppealForm(BaseModel):
    grounds: str = Field(min_length=1, max_length=1000, description="申诉理由（如：已补签附件5）")


class ComplaintForm(BaseModel):
    summary: str = Field(min_length=1, max_length=1000, description="投诉内容")


class RulingForm(BaseModel):
    ruling: Ruling = Field(description="upheld 支持 / dismissed 不支持")
    note: str = Field(default="", max_length=500)


class ReviewForm(BaseModel):
    outcome: ReviewOutcome
    note: str = Field(default="", max_length=500)


class BankCardForm(BaseModel):
    bank_card: BankCard = Field(description="更正后的银行卡号")


class Recorded(BaseModel):
    application_id: str
    event: str
    id: str


def create_api(pool_getter: Callable[[], asyncpg.Pool], authority: Authority) -> FastAPI:
    api = FastAPI(title="jinqiu intake", version="1", description="金秋助学 application intake")
    api.state.pool_getter = pool_getter
    api.state.authority = authority

    @api.middleware("http")
    async def correlation(request: Request, call_next: Callable) -> Response:
        """A correlation id for the request (the caller's or a new one), in every log line and on
        the trace span whose context travels with the events the request stores."""
        cid = request.headers.get("x-correlation-id") or str(uuid.uuid4())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        with tracing.TRACER.start_as_current_span(f"{request.method} {request.url.path}", attributes={
                "jinqiu.correlation_id": cid, "http.request.method": request.method}) as span:
            response = await call_next(request)
            span.set_attribute("http.response.status_code", response.status_code)
        response.headers["x-correlation-id"] = cid
        return response

    @api.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_error(e) for e in exc.errors()]
        log.info("application_refused", errors=errors)
        return JSONResponse(status_code=422, content={"errors": errors})

    @api.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        log.warning("request_refused", code=exc.code)
        status = REFUSAL_STATUS.get(exc.code, 403)
        return JSONResponse(status_code=status, content={"errors": [
            {"code": exc.code, "message": exc.message, "field": None}]})

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database_unavailable", error=repr(exc)[:300])
        return JSONResponse(status_code=503, headers={"Retry-After": "2"}, content={"errors": [
            {"code": "service_unavailable", "message": "系统暂时无法保存，请稍后重试（本次申报未受理）", "field": None}]})

    for error in DATABASE_UNAVAILABLE:
        api.add_exception_handler(error, unavailable)

    @api.exception_handler(UnicodeError)
    @api.exception_handler(asyncpg.DataError)
    async def unstorable(_: Request, exc: Exception) -> JSONResponse:
        log.info("input_refused", code="invalid_characters", error=type(exc).__name__)
        return JSONResponse(status_code=422, content={"errors": [{
            "code": "invalid_characters", "field": None,
            "message": "含有无法识别的字符（控制字符或残缺的字符编码），请检查后重新提交"}]})

    @api.post("/v1/applications", status_code=201, response_model=Accepted)
    async def post_application(form: ApplicationForm, principal: CurrentPrincipal, pool: PoolDep,
                               authority: AuthorityDep, response: Response) -> Accepted:
        cid = structlog.contextvars.get_contextvars()["correlation_id"]
        async with pool.acquire() as conn, conn.transaction():
            filed = await file_application(conn, form, principal, authority, cid)
        if not filed.created:
            response.status_code = 200
        log.info("application_filed", application_id=filed.application_id, created=filed.created)
        return Accepted(application_id=filed.application_id, status="submitted")

    @api.get("/v1/applications/{application_id}")
    async def get_application(application_id: str, principal: CurrentPrincipal, pool: PoolDep,
                              authority: AuthorityDep) -> JSONResponse:
        view = await application_view(pool, application_id)
        if view is None:
            return _not_found()
        authority.require_scope(principal.org, view["org_code"])
        return JSONResponse(content=_jsonable(view))

    async def act(pool: asyncpg.Pool, authority: Authority, principal: Principal, application_id: str,
                  make: Callable[[dict], Event], *, filer_may_act: bool, when: str | tuple[str, ...],
                  check: Callable[[dict], None] = lambda view: None) -> Recorded:
        """A person's act on an application: in scope, never by its filer where it decides, and
        only in the state it belongs to (else 409: told now, rather than dropped later)."""
        view = await application_view(pool, application_id)
        if view is None:
            raise Refused("application_not_found", "未找到该申请")
        authority.require_scope(principal.org, view["org_code"])
        allowed = (when,) if isinstance(when, str) else when
        if view["status"] not in allowed:
            wanted = "或".join(f"“{STATUS_LABELS[s]}”" for s in allowed)
            raise Refused("wrong_state", f"该申请当前状态为“{STATUS_LABELS.get(view['status'], view['status'])}”，"
                                         f"只有{wanted}的申请可以办理此项")
        check(view)
        if not filer_may_act and (view["filed_by_org"], view["filed_by_user"]) == (principal.org, principal.user):
            raise Refused("filer_cannot_decide", "申报人不能审批或处理本人申报的申请")
        event = make(view)
        async with pool.acquire() as conn, conn.transaction():
            await eventstore.record(conn, f"act-{uuid.uuid4()}", 0, [event], source="/jinqiu/intake",
                                    orgcode=principal.org, seal=authority.seal,
                                    correlationid=structlog.contextvars.get_contextvars()["correlation_id"])
        log.info("act_recorded", application_id=application_id, act=event.NAME)
        act_id = next((getattr(event, f) for f in ("objection_id", "appeal_id", "complaint_id") if hasattr(event, f)), "")
        return Recorded(application_id=application_id, event=event.NAME, id=act_id)

    @api.post("/v1/applications/{application_id}/objections", status_code=201, response_model=Recorded)
    async def raise_objection(application_id: str, form: ObjectionForm, principal: CurrentPrincipal,
                              pool: PoolDep, authority: AuthorityDep) -> Recorded:
        return await act(pool, authority, principal, application_id, lambda view: ObjectionRaised(
            objection_id=str(uuid.uuid4()), application_id=application_id, org_code=principal.org,
            summary=form.summary), filer_may_act=True, when="in_notice")

    @api.post("/v1/applications/{application_id}/objections/{objection_id}/resolution", status_code=201,
              response_model=Recorded)
    async def resolve_objection(application_id: str, objection_id: str, form: ResolutionForm,
                                principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep) -> Recorded:
        return await act(pool, authority, principal, application_id, lambda view: ObjectionResolved(
            objection_id=objection_id, application_id=application_id, outcome=form.outcome,
            resolver_org=principal.org, resolver_user=principal.user, note=form.note), filer_may_act=False,
            when="in_notice")

    @api.post("/v1/applications/{application_id}/review", status_code=201, response_model=Recorded)
    async def decide_review(application_id: str, form: ReviewForm, principal: CurrentPrincipal,
                            pool: PoolDep, authority: AuthorityDep) -> Recorded:
        return await act(pool, authority, principal, application_id, lambda view: ManualReviewDecided(
            application_id=application_id, outcome=form.outcome, reviewer_org=principal.org,
            reviewer_user=principal.user, note=form.note), filer_may_act=False, when="manual_review")

    @api.post("/v1/applications/{application_id}/appeals", status_code=201, response_model=Recorded)
    async def file_appeal(application_id: str, form: AppealForm, principal: CurrentPrincipal, pool: PoolDep,
                          authority: AuthorityDep) -> Recorded:
        """申诉: the applicant contests a rejection; a union on the application's line records it."""
        return await act(pool, authority, principal, application_id, lambda view: AppealFiled(
            appeal_id=str(uuid.uuid4()), application_id=application_id, org_code=principal.org,
            recorded_by_user=principal.user, grounds=form.grounds), filer_may_act=True,
            when=("rejected", "appeal_dismissed"))

    @api.post("/v1/applications/{application_id}/appeals/{appeal_id}/decision", status_code=201,
              response_model=Recorded)
    async def decide_appeal(application_id: str, appeal_id: str, form: RulingForm, principal: CurrentPrincipal,
                            pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """Upheld: the application is reviewed again on today's facts. Not by its filer."""
        return await act(pool, authority, principal, application_id, lambda view: AppealDecided(
            appeal_id=appeal_id, application_id=application_id, ruling=form.ruling, decider_org=principal.org,
            decider_user=principal.user, note=form.note), filer_may_act=False, when="appealed",
            check=lambda view: _require_open(view, "appeal", appeal_id))

    @api.post("/v1/applications/{application_id}/complaints", status_code=201, response_model=Recorded)
    async def file_complaint(application_id: str, form: ComplaintForm, principal: CurrentPrincipal,
                             pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """投诉 about an approved or paid grant."""
        def none_open(view: dict) -> None:
            if view["open_complaints"]:
                raise Refused("complaint_open", "该申请已有待处理的投诉，请先处理")
        return await act(pool, authority, principal, application_id, lambda view: ComplaintFiled(
            complaint_id=str(uuid.uuid4()), application_id=application_id, org_code=principal.org,
            recorded_by_user=principal.user, summary=form.summary), filer_may_act=True, when=GRANTED,
            check=none_open)

    @api.post("/v1/applications/{application_id}/complaints/{complaint_id}/decision", status_code=201,
              response_model=Recorded)
    async def decide_complaint(application_id: str, complaint_id: str, form: RulingForm,
                               principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """Upheld: the grant is revoked; paid money is reversed by a correcting ledger entry. Not by its filer."""
        return await act(pool, authority, principal, application_id, lambda view: ComplaintDecided(
            complaint_id=complaint_id, application_id=application_id, ruling=form.ruling,
            decider_org=principal.org, decider_user=principal.user, note=form.note), filer_may_act=False,
            when=GRANTED, check=lambda view: _require_open(view, "complaint", complaint_id))

    @api.post("/v1/imports", status_code=201)
    async def post_import(file: UploadFile, principal: CurrentPrincipal, pool: PoolDep,
                          authority: AuthorityDep) -> JSONResponse:
        """A county's spreadsheet (.xlsx or .csv, columns in the README): good rows are filed, bad
        rows come back with row number, code and Chinese message, and as errors.xlsx."""
        cid = structlog.contextvars.get_contextvars()["correlation_id"]
        content = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise Refused("upload_too_large", f"文件超过{MAX_UPLOAD_BYTES // 1024 // 1024}MB，请分批上传")
        report, _, _ = await import_sheet(pool, authority, principal, file.filename or "upload.csv", content, cid)
        log.info("import_done", import_id=report.import_id, rows=report.rows, accepted=report.accepted,
                 refused=len(report.refused_rows))
        return JSONResponse(status_code=201, content=report.summary())

    @api.get("/v1/imports/{import_id}/errors.xlsx")
    async def get_import_errors(import_id: str, principal: CurrentPrincipal, pool: PoolDep,
                                authority: AuthorityDep) -> Response:
        row = await pool.fetchrow("SELECT * FROM imports WHERE import_id = $1", import_id)
        if row is None:
            raise Refused("import_not_found", "未找到该导入记录")
        authority.require_scope(principal.org, row["org_code"])
        content = error_workbook(row["header"], row["errors"]["problems"], row["errors"]["rows"])
        return Response(content, media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="errors-{import_id}.xlsx"'})

    @api.post("/v1/applications/{application_id}/bank-card", status_code=201, response_model=Recorded)
    async def correct_bank_card(application_id: str, form: BankCardForm, principal: CurrentPrincipal,
                                pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """After the bank refused a card (payment_failed): the grant is issued again to this card."""
        return await act(pool, authority, principal, application_id, lambda view: BankCardCorrected(
            application_id=application_id, org_code=view["org_code"], bank_card=form.bank_card,
            corrected_by_user=principal.user), filer_may_act=True, when="payment_failed")

    @api.get("/v1/review-queue")
    async def get_review_queue(principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep) -> JSONResponse:
        orgs = [code for code in authority.tree.orgs if authority.tree.may_act(principal.org, code)]
        return JSONResponse(content={"items": [_jsonable(v) for v in await review_queue(pool, orgs)]})

    @api.get("/healthz")
    async def health(pool: PoolDep) -> dict[str, str]:
        await pool.fetchval("SELECT 1")
        return {"status": "ok"}

    return api


def _require_open(view: dict, kind: str, act_id: str) -> None:
    """The appeal or complaint `act_id` was filed on this application and is not decided yet."""
    history = view["history"]
    filed = {e.get(f"{kind}_id") for e in history if e.get("event") == f"{kind}_filed"}
    decided = {e.get(f"{kind}_id") for e in history if e.get("event") == f"{kind}_decided"}
    if act_id not in filed - decided:
        label = {"appeal": "申诉", "complaint": "投诉"}[kind]
        raise Refused(f"{kind}_not_open", f"{label}{act_id}不存在或已处理")


def _not_found() -> JSONResponse:
    return JSONResponse(status_code=404, content={"errors": [
        {"code": "application_not_found", "message": "未找到该申请", "field": None}]})


_GENERIC_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段",
    "string_pattern_mismatch": "格式不正确",
    "enum": "取值不在允许范围内",
}


def _error(e: dict[str, Any]) -> dict[str, Any]:
    field = ".".join(str(p) for p in e["loc"] if p != "body")
    code = e["type"]
    message = e["msg"] if code.startswith("invalid_") else _GENERIC_MESSAGES.get(code, "填写有误")
    value = e.get("input")
    return {"code": code, "message": message, "field": field, "detail": mask_text(e["msg"]),
            "input": mask_text(str(value)) if isinstance(value, str | int | float) else None}


def _jsonable(view: dict[str, Any]) -> dict[str, Any]:
    ends = view.get("notice_ends_on")
    return {**view, "submitted_at": view["submitted_at"].isoformat(), "reasons": list(view["reasons"]),
            "notice_ends_on": ends.isoformat() if ends else None}
