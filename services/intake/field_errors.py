"""Validation errors as union staff read them: the field, a stable code, a Chinese message;
the value entered is masked (it may be an ID or card number)."""

from __future__ import annotations

from typing import Any

from services.shared.masking import mask_text

_GENERIC_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段",
    "string_pattern_mismatch": "格式不正确",
    "enum": "取值不在允许范围内",
    "json_invalid": "不是有效的JSON",
}


def field_error(e: dict[str, Any]) -> dict[str, Any]:
    """A pydantic error as the API and the console report it: field, code, Chinese message."""
    field = ".".join(str(p) for p in e["loc"] if p != "body")
    code = e["type"]
    message = e["msg"] if code.startswith("invalid_") else _GENERIC_MESSAGES.get(code, "填写有误")
    value = e.get("input")
    return {"code": code, "message": message, "field": field, "detail": mask_text(e["msg"]),
            "input": _echo(value) if isinstance(value, str | int | float) else None}


def _echo(value: str | int | float) -> str:
    """The value as entered, masked, and cut at 200 characters: a refusal (and its log line) does
    not carry back a megabyte somebody pasted into a field."""
    text = mask_text(str(value))
    return text if len(text) <= 200 else f"{text[:200]}…（共{len(text)}字）"
