"""The HTTP face of intake (FastAPI, OpenAPI at /docs and /openapi.json)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.intake.domain import ApplicationForm
from services.intake.handlers import application_view, file_application

log = structlog.get_logger(__name__)


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool_getter()


PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]


class Accepted(BaseModel):
    application_id: str
    status: str


def create_api(pool_getter: Callable[[], asyncpg.Pool]) -> FastAPI:
    api = FastAPI(title="jinqiu intake", version="1", description="金秋助学 application intake")
    api.state.pool_getter = pool_getter

    @api.middleware("http")
    async def correlation(request: Request, call_next: Callable) -> Response:
        cid = request.headers.get("x-correlation-id") or str(uuid.uuid4())
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=cid)
        response = await call_next(request)
        response.headers["x-correlation-id"] = cid
        return response

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_error(e) for e in exc.errors()]
        log.info("application_refused", errors=errors)
        return JSONResponse(status_code=422, content={"errors": errors})

    @api.post("/v1/applications", status_code=201, response_model=Accepted)
    async def post_application(form: ApplicationForm, pool: PoolDep, response: Response) -> Accepted:
        cid = structlog.contextvars.get_contextvars()["correlation_id"]
        filed = await file_application(pool, form, cid)
        if not filed.created:
            response.status_code = 200
        log.info("application_filed", application_id=filed.application_id, created=filed.created)
        return Accepted(application_id=filed.application_id, status="submitted")

    @api.get("/v1/applications/{application_id}")
    async def get_application(application_id: str, pool: PoolDep) -> JSONResponse:
        view = await application_view(pool, application_id)
        if view is None:
            return JSONResponse(status_code=404, content={"errors": [
                {"code": "application_not_found", "message": "未找到该申请", "field": None}]})
        return JSONResponse(content=_jsonable(view))

    @api.get("/healthz")
    async def health(pool: PoolDep) -> dict[str, str]:
        await pool.fetchval("SELECT 1")
        return {"status": "ok"}

    return api


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
    return {"code": code, "message": message, "field": field, "detail": e["msg"],
            "input": value if isinstance(value, str | int | float) else None}


def _jsonable(view: dict[str, Any]) -> dict[str, Any]:
    return {**view, "submitted_at": view["submitted_at"].isoformat(), "reasons": list(view["reasons"])}
