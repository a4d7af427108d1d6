"""The HTTP face of intake (FastAPI, OpenAPI at /docs and /openapi.json)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import structlog
from fastapi import FastAPI, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from pydantic import BaseModel, Field

from contracts.base import Event
from contracts.reviews import (
    ObjectionOutcome,
    ReviewOutcome,
    Ruling,
)
from services.console import pages as console_pages
from services.console.pages import SignInRequired, console_router, render
from services.console.public import public_router
from services.intake import acts, graduates
from services.intake.answers import ACT_REFUSALS, refusals
from services.intake.body_limit import MAX_UPLOAD_BYTES, BodyLimit
from services.intake.bulk import error_workbook, import_sheet
from services.intake.deps import XLSX, AuthorityDep, CurrentPrincipal, PoolDep
from services.intake.direct_route import DirectRoute
from services.intake.domain import ApplicationForm, BankCard
from services.intake.employment_api import employment_router, reports_router
from services.intake.field_errors import field_error
from services.intake.filing_desk import FilingDesk
from services.intake.handlers import Filing, application_view, review_queue
from services.intake.views import ApplicationView, ReviewQueue
from services.shared import eventstore, outbox, tracing
from services.shared.authority import Authority
from services.shared.errors import Refused
from services.shared.policy import PolicyBook, configured_book

log = structlog.get_logger(__name__)
REFUSAL_STATUS = {**dict.fromkeys(acts.CONFLICTS | graduates.CONFLICTS, 409), **dict.fromkeys(graduates.NOT_FOUND, 404),
                  **dict.fromkeys(graduates.UNPROCESSABLE, 422), "deadline_not_found": 404,
                  "campaign_not_started": 409, "filing_closed": 409, "unauthenticated": 401, "sign_in_failed": 401,
                  "rate_limited": 429, "field_required": 422, "org_not_found": 404, "report_not_found": 404, "csrf_invalid": 403, "application_not_found": 404, "import_not_found": 404,
                  "upload_too_large": 413, "body_too_large": 413, "too_many_rows": 413, "unreadable_file": 422, "empty_file": 422,
                  "unknown_columns": 422, "invalid_characters": 422, "invalid_amount": 422}
# The database is away (restarting, failing over): nothing was stored, the client may retry.
DATABASE_UNAVAILABLE = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError,
                        ConnectionError, OSError)


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


class RepaymentForm(BaseModel):
    amount_fen: int = Field(gt=0, description="还款金额（分）")
    bank_reference: str = Field(min_length=1, max_length=100, description="银行流水号")


class BankCardForm(BaseModel):
    bank_card: BankCard = Field(description="更正后的银行卡号")


class Recorded(BaseModel):
    application_id: str
    event: str
    id: str


class Correlation:
    """A correlation id for each request (the caller's or a new one), in every log line and on
    the trace span whose context travels with the events the request stores; answered in the
    `x-correlation-id` header. Plain ASGI: Starlette's BaseHTTPMiddleware would stream every
    response through a second task (a fifth of intake's time per filing, profiled)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cid = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-correlation-id"), "") \
            or str(uuid.uuid4())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        with tracing.TRACER.start_as_current_span(f"{scope['method']} {scope['path']}", attributes={
                "jinqiu.correlation_id": cid, "http.request.method": scope["method"]}) as span:
            async def answer(message: dict) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode("latin-1"))]
                    span.set_attribute("http.response.status_code", message["status"])
                await send(message)
            await self.app(scope, receive, answer)


def create_api(pool_getter: Callable[[], asyncpg.Pool], authority: Authority,
               policies: PolicyBook | None = None) -> FastAPI:
    # FastAPI's own telemetry is off: intake makes its own span per request (carrying the
    # correlation id into the outbox) and its own metrics, and FastAPI's failure logs would carry
    # unmasked input. (Filing over HTTP in `jinqiu bench`: 70 → 76 per second without it.)
    api = FastAPI(title="jinqiu intake", version="1", description="金秋助学 application intake",
                  telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
    api.state.pool_getter = pool_getter
    api.state.authority = authority
    api.state.policies = policies or configured_book()
    api.state.filing_desk = FilingDesk(pool_getter, authority)

    api.add_middleware(BodyLimit)
    api.add_middleware(Correlation)  # added last: outermost, so a refused body has its correlation id too

    @api.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [field_error(e) for e in exc.errors()]
        log.info("application_refused", errors=errors)
        return JSONResponse(status_code=422, content={"errors": errors})

    @api.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        log.warning("request_refused", code=exc.code)
        status = REFUSAL_STATUS.get(exc.code, 403)
        if not request.url.path.startswith("/v1/"):  # a console page: the same refusal, as a page
            return render(request, "error.html", status, code=exc.code, message=exc.message)
        return JSONResponse(status_code=status, content={"errors": [
            {"code": exc.code, "message": exc.message, "field": None}]})

    @api.exception_handler(SignInRequired)
    async def sign_in_first(_: Request, __: SignInRequired) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)


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

    async def post_application(form: ApplicationForm, principal: CurrentPrincipal, request: Request) -> Response:
        """Filed together with the filings arriving meanwhile (services/intake/filing_desk.py),
        served as a DirectRoute. The answer is written here, not through `response_model`
        (documented all the same): FastAPI's validating and encoding it again was a tenth of a
        filing's time."""
        cid = structlog.contextvars.get_contextvars()["correlation_id"]
        filing = Filing(form, principal, eventstore.Flow(cid, outbox.headers_now()))
        filed = await request.app.state.filing_desk.file(filing)
        log.info("application_filed", application_id=filed.application_id, created=filed.created)
        return Response(orjson.dumps({"application_id": filed.application_id, "status": "submitted"}),
                        status_code=201 if filed.created else 200, media_type="application/json")

    api.router.add_api_route(
        "/v1/applications", post_application, methods=["POST"], route_class_override=DirectRoute,
        status_code=201, response_model=Accepted, summary="申报一份申请（附件1 / 附件2）",
        description="同一 submission_id 再次提交时返回原申请（200），不重复受理。",
        responses={200: {"model": Accepted, "description": "已申报过（同一 submission_id）：原申请"},
                   **refusals(403, 409, 422)})

    @api.get("/v1/applications/{application_id}", response_model=ApplicationView, responses=refusals(403, 404, 422))
    async def get_application(application_id: str, principal: CurrentPrincipal, pool: PoolDep,
                              authority: AuthorityDep) -> dict | JSONResponse:
        view = await application_view(pool, application_id)
        if view is None:
            return _not_found()
        authority.require_scope(principal.org, view["org_code"])
        return _jsonable(view)

    def recorded(event: Event) -> Recorded:
        return Recorded(application_id=event.application_id, event=event.NAME, id=acts.act_id(event))

    @api.post("/v1/applications/{application_id}/objections", status_code=201, response_model=Recorded,
              responses=ACT_REFUSALS)
    async def raise_objection(application_id: str, form: ObjectionForm, principal: CurrentPrincipal,
                              pool: PoolDep, authority: AuthorityDep) -> Recorded:
        return recorded(await acts.raise_objection(pool, authority, principal, application_id, form.summary))

    @api.post("/v1/applications/{application_id}/objections/{objection_id}/resolution", status_code=201,
              response_model=Recorded, responses=ACT_REFUSALS)
    async def resolve_objection(application_id: str, objection_id: str, form: ResolutionForm,
                                principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep) -> Recorded:
        return recorded(await acts.resolve_objection(pool, authority, principal, application_id, objection_id,
                                                     form.outcome, form.note))

    @api.post("/v1/applications/{application_id}/review", status_code=201, response_model=Recorded,
              responses=ACT_REFUSALS)
    async def decide_review(application_id: str, form: ReviewForm, principal: CurrentPrincipal,
                            pool: PoolDep, authority: AuthorityDep) -> Recorded:
        return recorded(await acts.decide_review(pool, authority, principal, application_id, form.outcome, form.note))

    @api.post("/v1/applications/{application_id}/appeals", status_code=201, response_model=Recorded,
              responses=ACT_REFUSALS)
    async def file_appeal(application_id: str, form: AppealForm, principal: CurrentPrincipal, pool: PoolDep,
                          authority: AuthorityDep) -> Recorded:
        """申诉: the applicant contests a rejection; a union on the application's line records it."""
        return recorded(await acts.file_appeal(pool, authority, principal, application_id, form.grounds))

    @api.post("/v1/applications/{application_id}/appeals/{appeal_id}/decision", status_code=201,
              response_model=Recorded, responses=ACT_REFUSALS)
    async def decide_appeal(application_id: str, appeal_id: str, form: RulingForm, principal: CurrentPrincipal,
                            pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """Upheld: the application is reviewed again on today's facts. Not by its filer."""
        return recorded(await acts.decide_appeal(pool, authority, principal, application_id, appeal_id,
                                                 form.ruling, form.note))

    @api.post("/v1/applications/{application_id}/complaints", status_code=201, response_model=Recorded,
              responses=ACT_REFUSALS)
    async def file_complaint(application_id: str, form: ComplaintForm, principal: CurrentPrincipal,
                             pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """投诉 about an approved or paid grant."""
        return recorded(await acts.file_complaint(pool, authority, principal, application_id, form.summary))

    @api.post("/v1/applications/{application_id}/complaints/{complaint_id}/decision", status_code=201,
              response_model=Recorded, responses=ACT_REFUSALS)
    async def decide_complaint(application_id: str, complaint_id: str, form: RulingForm,
                               principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """Upheld: the grant is revoked; paid money is reversed by a correcting ledger entry. Not by its filer."""
        return recorded(await acts.decide_complaint(pool, authority, principal, application_id, complaint_id,
                                                    form.ruling, form.note))

    @api.post("/v1/applications/{application_id}/repayments", status_code=201, response_model=Recorded,
              responses=ACT_REFUSALS)
    async def record_repayment(application_id: str, form: RepaymentForm, principal: CurrentPrincipal,
                               pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """After a revoked, settled grant: money the recipient paid back, at most what is owed;
        it goes back into the fund that paid the grant."""
        return recorded(await acts.record_repayment(pool, authority, principal, application_id, form.amount_fen,
                                                    form.bank_reference))

    @api.post("/v1/imports", status_code=201, responses=refusals(403, 409, 413, 422))
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

    @api.get("/v1/imports/{import_id}/errors.xlsx", responses=refusals(403, 404, 422))
    async def get_import_errors(import_id: str, principal: CurrentPrincipal, pool: PoolDep,
                                authority: AuthorityDep) -> Response:
        row = await pool.fetchrow("SELECT * FROM imports WHERE import_id = $1", import_id)
        if row is None:
            raise Refused("import_not_found", "未找到该导入记录")
        authority.require_scope(principal.org, row["org_code"])
        content = error_workbook(row["header"], row["errors"]["problems"], row["errors"]["rows"])
        return Response(content, media_type=XLSX, headers={
            "Content-Disposition": f'attachment; filename="errors-{import_id}.xlsx"'})

    @api.post("/v1/applications/{application_id}/bank-card", status_code=201, response_model=Recorded,
              responses=ACT_REFUSALS)
    async def correct_bank_card(application_id: str, form: BankCardForm, principal: CurrentPrincipal,
                                pool: PoolDep, authority: AuthorityDep) -> Recorded:
        """After the bank refused a card (payment_failed): the grant is issued again to this card."""
        return recorded(await acts.correct_bank_card(pool, authority, principal, application_id, form.bank_card))

    @api.get("/v1/review-queue", response_model=ReviewQueue, responses=refusals())
    async def get_review_queue(principal: CurrentPrincipal, pool: PoolDep, authority: AuthorityDep) -> dict:
        orgs = [code for code in authority.tree.orgs if authority.tree.may_act(principal.org, code)]
        return {"items": [_jsonable(v) for v in await review_queue(pool, orgs)]}

    @api.get("/healthz")
    async def health(pool: PoolDep) -> dict[str, str]:
        await pool.fetchval("SELECT 1")
        return {"status": "ok"}

    # After the filing routes: a request is matched against the routes in order, and filing is
    # the campaign's peak (matching it past the console's routes first cost a tenth of a filing).
    api.include_router(employment_router())
    api.include_router(reports_router())
    api.include_router(console_router())
    api.include_router(public_router())
    api.mount("/static", StaticFiles(directory=str(Path(console_pages.__file__).parent / "static")), name="static")
    return api


def _not_found() -> JSONResponse:
    return JSONResponse(status_code=404, content={"errors": [
        {"code": "application_not_found", "message": "未找到该申请", "field": None}]})


def _jsonable(view: dict[str, Any]) -> dict[str, Any]:
    ends = view.get("notice_ends_on")
    return {**view, "submitted_at": view["submitted_at"].isoformat(), "reasons": list(view["reasons"]),
            "notice_ends_on": ends.isoformat() if ends else None}
