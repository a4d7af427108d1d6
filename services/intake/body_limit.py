"""A ceiling on every request body, counted as it arrives: uvicorn sets none, FastAPI reads a JSON
body whole before validating it, and Starlette spools an upload to disk whatever its size. A
form or an act is a few KB, a county's spreadsheet at most MAX_UPLOAD_BYTES."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from starlette.responses import JSONResponse

from services.shared.errors import Refused

FORM_BYTES = 256 * 1024
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a spreadsheet, refused in /v1/imports' own words above it
UPLOAD_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024  # and its multipart framing

log = structlog.get_logger(__name__)


class BodyTooLarge(Refused):
    def __init__(self, most: int) -> None:
        super().__init__("body_too_large", f"提交内容超过{most // 1024 // 1024 or most // 1024}"
                                           f"{'MB' if most >= 1024 * 1024 else 'KB'}，本次未受理（表格请分批上传）")


class BodyLimit:
    """Plain ASGI. A body declared too long is refused before a byte of it is read; one sent
    without its length is refused where it passes the ceiling: the API answers the Refused, and
    where FastAPI was reading the body (and answers any failure to read it with a bare 400), its
    answer is replaced by the same 413."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared, multipart = b"", False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"content-type":
                multipart = value.startswith(b"multipart/")
        most = UPLOAD_BYTES if multipart else FORM_BYTES
        if declared.isdigit() and int(declared) > most:
            return await _refuse(BodyTooLarge(most), scope, receive, send)
        size, refused, replaced = 0, None, False

        async def counted() -> dict:
            nonlocal size, refused
            message = await receive()
            size += len(message.get("body", b""))
            if size > most:
                refused = BodyTooLarge(most)
                raise refused
            return message

        async def answered(message: dict) -> None:
            nonlocal replaced
            if refused is not None and message["type"] == "http.response.start":
                replaced = True
                return await _refuse(refused, scope, receive, send)
            if not replaced:
                await send(message)

        await self.app(scope, counted, answered)


async def _refuse(refusal: Refused, scope: dict, receive: Callable, send: Callable) -> None:
    log.warning("request_refused", code=refusal.code)
    await JSONResponse(status_code=413, content={"errors": [
        {"code": refusal.code, "message": refusal.message, "field": None}]})(scope, receive, send)
