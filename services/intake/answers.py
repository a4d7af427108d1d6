"""What the API answers when it refuses, as its OpenAPI document shows it: always an `ErrorList`,
each error with a stable English code and a Chinese message for union staff, whatever the cause
(a token, a scope, a form, a state, the database)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ApiError(BaseModel):
    code: str = Field(description="stable English code, e.g. invalid_id_number, org_out_of_scope")
    message: str = Field(description="给工会工作人员的中文说明")
    field: str | None = Field(default=None, description="the form field at fault (dotted path), where one is")
    detail: str | None = Field(default=None, description="a form error: the validator's own words, numbers masked")
    input: str | None = Field(default=None, description="a form error: the value entered, numbers masked")


class ErrorList(BaseModel):
    errors: list[ApiError]


WHY = {
    401: "未提供有效的访问令牌（unauthenticated）",
    403: "超出本级工会管辖范围，或无权办理（org_out_of_scope 等）",
    404: "未找到（application_not_found、graduate_not_found 等）",
    409: "与当前状态冲突：已办理、未到期、已截止（wrong_state、filing_closed 等）",
    413: "提交内容过大，请分批上传（upload_too_large、too_many_rows、body_too_large）",
    422: "输入有误：每个错误指明字段与原因（invalid_id_number、invalid_bank_card 等）",
    503: "系统暂时无法保存，本次未受理，可稍后重试（service_unavailable，见 Retry-After）",
}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a /v1 route: the given refusals, and the three every /v1 route may give
    (no valid token; a body over its ceiling, services/intake/body_limit.py; the database away)."""
    return {status: {"model": ErrorList, "description": WHY[status]} for status in sorted({401, 413, 503, *statuses})}


# An act on a file (an application, a graduate, a deadline): out of the actor's scope, no such
# file, not in a state for it, or a bad form.
ACT_REFUSALS = refusals(403, 404, 409, 422)
