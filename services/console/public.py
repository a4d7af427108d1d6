"""Pages without sign-in: the 公示 board of each union with its objection form, and workers'
self-service filing (网上申报) with a reference number to look up later. Rate-limited per
client address; names and ID numbers appear masked, as notices are published."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from services.console.forms import FormProblem, application_form, store_documents
from services.console.pages import render
from services.intake import acts
from services.intake.deps import authority_of, pool_of
from services.shared.authority import Principal
from services.shared.errors import Refused
from services.shared.masking import mask_id_number, mask_name

PUBLIC_RATE = RateLimitItemPerMinute(20)
_LIMITER = MovingWindowRateLimiter(MemoryStorage())
PUBLIC_USER = "公众"


async def _limited(request: Request, what: str) -> None:
    client = request.client.host if request.client else "unknown"
    if not await _LIMITER.hit(PUBLIC_RATE, what, client):
        raise Refused("rate_limited", "操作过于频繁，请稍后再试")


def _lookup_key(reference: str, id_number: str) -> str:
    return hashlib.sha256(f"{reference}:{id_number.strip().upper()}".encode()).hexdigest()


def public_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/notice/{org_code}")
    async def notice_board(org_code: str, request: Request, done: str = "") -> HTMLResponse:
        """公示: the applications on notice in this union and the unions below it."""
        authority = authority_of(request)
        if org_code not in authority.tree.orgs:
            raise Refused("org_not_found", "未找到该工会")
        orgs = [c for c in authority.tree.orgs if authority.tree.may_act(org_code, c)]
        rows = await pool_of(request).fetch(
            "SELECT a.application_id, a.org_code, a.amount_fen, a.notice_ends_on, a.history, e.data "
            "FROM applications a JOIN events e ON e.stream_id = 'application-' || a.application_id "
            "WHERE a.status = 'in_notice' AND a.org_code = ANY($1) ORDER BY a.org_code, a.application_id", orgs)
        items = [{"application_id": r["application_id"], "org": authority.tree.name(r["org_code"]),
                  "student": mask_name(r["data"]["student"]["name"]),
                  "id_number": mask_id_number(r["data"]["student"]["id_number"]),
                  "amount_fen": r["amount_fen"], "ends_on": r["notice_ends_on"],
                  "starts_on": next((h.get("notice_from") for h in r["history"] if h.get("notice_from")), None)}
                 for r in rows]
        return render(request, "notice.html", org_code=org_code, org_name=authority.tree.name(org_code), items=items,
                      done=done)

    @router.post("/notice/{org_code}/objections")
    async def public_objection(org_code: str, request: Request, application_id: Annotated[str, Form()] = "",
                               summary: Annotated[str, Form()] = "") -> Response:
        """Anyone may object during notice; the union whose board it is records it."""
        await _limited(request, "objection")
        if not summary.strip():
            raise Refused("field_required", "请填写异议内容")
        board = Principal(org_code, PUBLIC_USER)
        await acts.raise_objection(pool_of(request), authority_of(request), board, application_id, summary.strip()[:500])
        return RedirectResponse(f"/notice/{org_code}?done=objection", status_code=303)

    @router.get("/self")
    async def self_page(request: Request) -> HTMLResponse:
        return render(request, "self.html", orgs=_counties(request), values={"campaign_year": "2023"}, errors={})

    @router.post("/self")
    async def self_file(request: Request) -> Response:
        """A worker files for their child; it waits as 待核实 until the county confirms it."""
        await _limited(request, "self")
        form = await request.form()
        pool = pool_of(request)
        reference = "WS" + secrets.token_hex(5).upper()
        async with pool.acquire() as conn:
            documents: list[dict] = []
            try:
                documents = await store_documents(conn, form, PUBLIC_USER)
                parsed = application_form(form, reference, documents)
            except FormProblem as problem:
                return render(request, "self.html", 422, orgs=_counties(request), values=dict(form),
                              errors=problem.errors, kept=documents)
            await conn.execute("INSERT INTO self_filings (reference, org_code, student_lookup, form) "
                               "VALUES ($1, $2, $3, $4)", reference, parsed.org_code,
                               _lookup_key(reference, parsed.student.id_number), parsed.model_dump(mode="json"))
        return render(request, "self_done.html", reference=reference)

    @router.get("/self/status")
    async def self_status(request: Request, reference: str = "", id_number: str = "") -> HTMLResponse:
        found = None
        if reference:
            await _limited(request, "status")
            row = await pool_of(request).fetchrow(
                "SELECT s.reference, s.status, s.application_id, a.status AS application_status, a.reasons "
                "FROM self_filings s LEFT JOIN applications a USING (application_id) "
                "WHERE s.reference = $1 AND s.student_lookup = $2", reference.strip().upper(),
                _lookup_key(reference.strip().upper(), id_number))
            found = dict(row) if row else {}
        return render(request, "self_status.html", found=found, reference=reference)

    return router


def _counties(request: Request) -> list[tuple[str, str]]:
    tree = authority_of(request).tree
    return [(code, org.name) for code, org in sorted(tree.orgs.items()) if not code.endswith("00")]
