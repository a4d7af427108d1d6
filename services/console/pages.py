"""The staff console: server-rendered pages in Chinese over the same rules as the API. Every
action calls the function the API calls (services/intake/acts.py, file_application,
import_sheet), so nothing is possible in the browser that the API refuses; what a page shows
comes from intake's own projections of events (applications, ledger_view) and its event store.

Plain HTML forms and Jinja2 templates, no build step and no script needed: a union office's
browser, a phone, and an old screen all work."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from contracts.reviews import ObjectionOutcome, ReviewOutcome, Ruling
from services.console import sessions
from services.console.forms import FormProblem, application_form, store_documents
from services.intake import acts, graduates
from services.intake.acts import record_submission
from services.intake.bulk import error_workbook, import_sheet
from services.intake.clock import campaign_today
from services.intake.deps import XLSX, authority_of, pool_of
from services.intake.handlers import application_view, file_application, review_queue
from services.intake.reports import deadlines_below, report_workbook
from services.intake.spreadsheet import RowError, yuan_to_fen
from services.reports.annexes import REPORTS
from services.shared import labels
from services.shared.authority import ROLES, Authority
from services.shared.errors import Refused

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(labels=labels, roles=ROLES, yuan=lambda fen: f"{(fen or 0) / 100:,.2f}")


class SignInRequired(Exception):
    """No live session: the browser is sent to the sign-in page."""


async def _session(request: Request) -> sessions.Session:
    found = await sessions.find_session(pool_of(request), request.cookies.get(sessions.COOKIE),
                                        authority_of(request).tokens)
    if found is None:
        raise SignInRequired
    return found


StaffSession = Annotated[sessions.Session, Depends(_session)]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def subtree(authority: Authority, org: str) -> list[str]:
    return [code for code in authority.tree.orgs if authority.tree.may_act(org, code)]


def _checked(session: sessions.Session, csrf: str | None) -> None:
    if not session.csrf_ok(csrf):
        raise Refused("csrf_invalid", "页面已过期，请刷新后重新提交")


def console_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def home() -> RedirectResponse:
        return RedirectResponse("/review", status_code=303)

    @router.get("/login")
    async def login_page(request: Request) -> HTMLResponse:
        return render(request, "login.html")

    @router.post("/login")
    async def login(request: Request, user: Annotated[str, Form()] = "", token: Annotated[str, Form()] = "") -> Response:
        try:
            principal = authority_of(request).sign_in(user.strip(), token.strip())
        except Refused as refusal:
            return render(request, "login.html", 401, error=refusal.message, user=user)
        session = await sessions.open_session(pool_of(request), principal)
        response = RedirectResponse("/review", status_code=303)
        response.set_cookie(sessions.COOKIE, session.session_id, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", max_age=int(sessions.LIFETIME.total_seconds()))
        return response

    @router.post("/logout")
    async def logout(request: Request, session: StaffSession, csrf: Annotated[str, Form()] = "") -> Response:
        _checked(session, csrf)
        await sessions.close_session(pool_of(request), session.session_id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(sessions.COOKIE)
        return response

    # --- 申报 --------------------------------------------------------------------------------

    @router.get("/apply")
    async def apply_page(request: Request, session: StaffSession) -> HTMLResponse:
        return render(request, "apply.html", session=session, orgs=_org_choices(request, session),
                      values={"org_code": session.principal.org, "campaign_year": "2023"}, errors={})

    @router.post("/apply")
    async def apply(request: Request, session: StaffSession) -> Response:
        form = await request.form()
        _checked(session, form.get("csrf"))
        pool, authority = pool_of(request), authority_of(request)
        async with pool.acquire() as conn:
            documents: list[dict] = []
            try:
                documents = await store_documents(conn, form, session.principal.org)
                parsed = application_form(form, str(form.get("submission_id") or uuid.uuid4()), documents)
            except FormProblem as problem:
                return render(request, "apply.html", 422, session=session, orgs=_org_choices(request, session),
                              values=dict(form), errors=problem.errors, kept=documents)
            async with conn.transaction():
                filed = await file_application(conn, parsed, session.principal, authority, str(uuid.uuid4()))
        return RedirectResponse(f"/applications/{filed.application_id}?done=filed", status_code=303)

    @router.get("/imports")
    async def imports_page(request: Request, session: StaffSession) -> HTMLResponse:
        return render(request, "imports.html", session=session, report=None)

    @router.post("/imports")
    async def upload(request: Request, session: StaffSession) -> Response:
        form = await request.form()
        _checked(session, form.get("csrf"))
        upload = form.get("file")
        if not hasattr(upload, "read") or not upload.filename:
            return render(request, "imports.html", 422, session=session, report=None, error="请选择要上传的文件")
        content = await upload.read()
        report, _, _ = await import_sheet(pool_of(request), authority_of(request), session.principal, upload.filename,
                                          content, str(uuid.uuid4()))
        return render(request, "imports.html", session=session, report=report.summary())

    @router.get("/imports/{import_id}/errors.xlsx")
    async def import_errors(import_id: str, request: Request, session: StaffSession) -> Response:
        row = await pool_of(request).fetchrow("SELECT * FROM imports WHERE import_id = $1", import_id)
        if row is None:
            raise Refused("import_not_found", "未找到该导入记录")
        authority_of(request).require_scope(session.principal.org, row["org_code"])
        content = error_workbook(row["header"], row["errors"]["problems"], row["errors"]["rows"])
        return Response(content, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="errors-{import_id}.xlsx"'})

    # --- 审核 --------------------------------------------------------------------------------

    @router.get("/review")
    async def queue(request: Request, session: StaffSession) -> HTMLResponse:
        items = await review_queue(pool_of(request), subtree(authority_of(request), session.principal.org))
        return render(request, "review.html", session=session, items=items)

    @router.get("/applications/{application_id}")
    async def case(application_id: str, request: Request, session: StaffSession, done: str = "") -> HTMLResponse:
        view = await _visible_case(request, session, application_id)
        return render(request, "case.html", session=session, **_case_context(view, session), done=done)

    def act_route(path: str, perform: Callable[..., Any]) -> None:
        @router.post(f"/applications/{{application_id}}/{path}")
        async def act(application_id: str, request: Request, session: StaffSession) -> Response:
            form = await request.form()
            _checked(session, form.get("csrf"))
            try:
                await perform(pool_of(request), authority_of(request), session.principal, application_id, form)
            except Refused as refusal:
                view = await _visible_case(request, session, application_id)
                status = 409 if refusal.code in acts.CONFLICTS else 403
                return render(request, "case.html", status, session=session, **_case_context(view, session),
                              error=refusal.message)
            return RedirectResponse(f"/applications/{application_id}?done={path.split('/')[0]}", status_code=303)

    act_route("review", lambda pool, auth, who, app, f: acts.decide_review(
        pool, auth, who, app, ReviewOutcome(f.get("outcome")), str(f.get("note", ""))))
    act_route("objections", lambda pool, auth, who, app, f: acts.raise_objection(
        pool, auth, who, app, _required(f, "summary", "请填写异议内容")))
    act_route("objections/resolution", lambda pool, auth, who, app, f: acts.resolve_objection(
        pool, auth, who, app, str(f.get("objection_id")), ObjectionOutcome(f.get("outcome")), str(f.get("note", ""))))
    act_route("appeals", lambda pool, auth, who, app, f: acts.file_appeal(
        pool, auth, who, app, _required(f, "grounds", "请填写申诉理由")))
    act_route("appeals/decision", lambda pool, auth, who, app, f: acts.decide_appeal(
        pool, auth, who, app, str(f.get("appeal_id")), Ruling(f.get("ruling")), str(f.get("note", ""))))
    act_route("repayments", lambda pool, auth, who, app, f: acts.record_repayment(
        pool, auth, who, app, _yuan_field(f, "amount_yuan"), _required(f, "bank_reference", "请填写银行流水号")))
    act_route("complaints", lambda pool, auth, who, app, f: acts.file_complaint(
        pool, auth, who, app, _required(f, "summary", "请填写投诉内容")))
    act_route("complaints/decision", lambda pool, auth, who, app, f: acts.decide_complaint(
        pool, auth, who, app, str(f.get("complaint_id")), Ruling(f.get("ruling")), str(f.get("note", ""))))

    # --- 资金 --------------------------------------------------------------------------------

    @router.get("/funds")
    async def funds(request: Request, session: StaffSession) -> HTMLResponse:
        orgs = subtree(authority_of(request), session.principal.org)
        pool = pool_of(request)
        balances = await pool.fetch(
            "WITH moves AS (SELECT credit_account AS account, amount_fen AS credit, 0 AS debit FROM ledger_view "
            "UNION ALL SELECT debit_account, 0, amount_fen FROM ledger_view) "
            "SELECT account, split_part(account, ':', 2) AS source, split_part(account, ':', 3) AS org, "
            "sum(credit)::bigint AS credits, sum(debit)::bigint AS debits, (sum(credit) - sum(debit))::bigint AS balance "
            "FROM moves WHERE account LIKE 'fund:%' GROUP BY account ORDER BY account")
        received = {r["donation_id"] for r in await pool.fetch(
            "SELECT donation_id FROM donations_view WHERE org_code = ANY($1)", orgs)}
        visible = [r for r in balances if (r["org"] in received if r["source"] == "donation" else r["org"] in orgs)]
        payments = await pool.fetch(
            "SELECT status, count(*) AS n, coalesce(sum(amount_fen), 0)::bigint AS fen FROM applications "
            "WHERE org_code = ANY($1) AND status IN ('approved', 'paid', 'settled', 'payment_failed', 'reissued', "
            "'revoked') "
            "GROUP BY status ORDER BY status", orgs)
        head = await pool.fetchrow("SELECT sequence, hash FROM ledger_view ORDER BY sequence DESC LIMIT 1")
        donations = await pool.fetch("SELECT * FROM donations_view WHERE org_code = ANY($1) ORDER BY donation_id", orgs)
        return render(request, "funds.html", session=session, balances=visible, payments=payments, head=head,
                      donations=donations)

    @router.get("/ledger")
    async def ledger(request: Request, session: StaffSession, account: str = "", status: str = "") -> HTMLResponse:
        orgs = subtree(authority_of(request), session.principal.org)
        pool = pool_of(request)
        if status:
            rows = await pool.fetch(
                "SELECT l.* FROM ledger_view l JOIN applications a ON a.application_id = l.application_id "
                "WHERE a.org_code = ANY($1) AND a.status = $2 ORDER BY l.sequence LIMIT 500", orgs, status)
        else:
            org = account.split(":")[2] if account.count(":") == 2 else ""
            if account.startswith("fund:donation:"):  # a donation is seen by the union that received it, and above
                org = await pool.fetchval("SELECT org_code FROM donations_view WHERE donation_id = $1", org) or ""
            if org not in orgs:
                raise Refused("org_out_of_scope", "无权查看该账户")
            rows = await pool.fetch("SELECT * FROM ledger_view WHERE debit_account = $1 OR credit_account = $1 "
                                    "ORDER BY sequence LIMIT 500", account)
        return render(request, "ledger.html", session=session, rows=rows, account=account, status=status)

    # --- 就业 --------------------------------------------------------------------------------

    @router.get("/employment")
    async def employment(request: Request, session: StaffSession, done: str = "") -> HTMLResponse:
        """The graduates the union keeps (its subtree as origin) or was handed; a handoff waiting
        for this union's answer has accept and return buttons."""
        authority = authority_of(request)
        rows = await graduates.graduates_seen_by(pool_of(request), authority, session.principal.org)
        fairs = await pool_of(request).fetch("SELECT * FROM job_fairs_view WHERE org_code = ANY($1) ORDER BY held_on",
                                             subtree(authority, session.principal.org))
        return render(request, "employment.html", session=session, rows=rows, fairs=fairs, done=done,
                      answerable=lambda g: g["handoff_status"] == "pending"
                      and authority.tree.on_one_line(session.principal.org, g["handoff_to"]))

    @router.post("/graduates/{graduate_id}/handoffs/{handoff_id}/answer")
    async def answer_handoff(graduate_id: str, handoff_id: str, request: Request, session: StaffSession) -> Response:
        form = await request.form()
        _checked(session, form.get("csrf"))
        await graduates.answer_handoff(pool_of(request), authority_of(request), session.principal, graduate_id,
                                       handoff_id, form.get("accepted") == "true", str(form.get("note") or ""))
        return RedirectResponse("/employment?done=answered", status_code=303)

    # --- 日程 --------------------------------------------------------------------------------

    @router.get("/calendar")
    async def calendar(request: Request, session: StaffSession, year: int = 2023) -> HTMLResponse:
        """The campaign's dates from the policy of the signed-in union's province, against the
        campaign date intake last heard."""
        policy = request.app.state.policies.find(session.principal.org, year)
        pool, authority, org = pool_of(request), authority_of(request), session.principal.org
        today = await campaign_today(pool)
        below = await deadlines_below(pool, authority.tree, request.app.state.policies, org, year)
        sent = {r["deadline"]: r["submitted_on"] for r in await pool.fetch(
            "SELECT deadline, submitted_on FROM report_submissions WHERE org_code = $1 AND campaign_year = $2", org, year)}
        return render(request, "calendar.html", session=session, policy=policy, today=today, below=below, sent=sent,
                      names=authority.tree.name,
                      filing=policy.calendar.filing(today) if policy else "open", year=year)

    @router.post("/calendar/{deadline}/submission")
    async def submit_report(deadline: str, request: Request, session: StaffSession, year: int = 2023) -> Response:
        form = await request.form()
        _checked(session, form.get("csrf"))
        await record_submission(pool_of(request), authority_of(request), request.app.state.policies,
                                session.principal, deadline, year)
        return RedirectResponse("/calendar", status_code=303)

    # --- 报表 --------------------------------------------------------------------------------

    @router.get("/reports")
    async def reports_page(request: Request, session: StaffSession) -> HTMLResponse:
        return render(request, "reports.html", session=session, annexes=REPORTS)

    @router.get("/reports/{name}.xlsx")
    async def report(name: str, request: Request, session: StaffSession, year: int = 2023,
                     as_of: str = "") -> Response:
        """附件7/8/9 and the stage report of the signed-in union's subtree, now or as of a day."""
        if name not in REPORTS:
            raise Refused("report_not_found", "没有这张报表")
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise Refused("invalid_date", "日期格式应为 YYYY-MM-DD") from None
        authority, top = authority_of(request), session.principal.org
        filename, _ = REPORTS[name]
        content = await report_workbook(pool_of(request), authority.tree, request.app.state.policies, name, top, year,
                                        day)
        return Response(content, media_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})

    # --- 网上申报 待确认 ----------------------------------------------------------------------

    @router.get("/confirmations")
    async def confirmations(request: Request, session: StaffSession) -> HTMLResponse:
        rows = await pool_of(request).fetch(
            "SELECT reference, org_code, form, created_at FROM self_filings WHERE status = 'pending' "
            "AND org_code = ANY($1) ORDER BY created_at", subtree(authority_of(request), session.principal.org))
        return render(request, "confirmations.html", session=session, rows=rows)

    @router.post("/confirmations/{reference}")
    async def confirm(reference: str, request: Request, session: StaffSession,
                      csrf: Annotated[str, Form()] = "") -> Response:
        """The county's confirmation is its staff filing: duplicates, scope and maker-checker
        rules apply as to any filing by that clerk."""
        _checked(session, csrf)
        pool, authority = pool_of(request), authority_of(request)
        async with pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow("SELECT * FROM self_filings WHERE reference = $1 AND status = 'pending' "
                                      "FOR UPDATE", reference)
            if row is None:
                raise Refused("wrong_state", "该网上申报不存在或已确认")
            from services.intake.domain import ApplicationForm

            filed = await file_application(conn, ApplicationForm.model_validate(row["form"]), session.principal,
                                           authority, str(uuid.uuid4()))
            await conn.execute("UPDATE self_filings SET status = 'confirmed', application_id = $2, confirmed_by = $3 "
                               "WHERE reference = $1", reference, filed.application_id, session.principal.user)
        return RedirectResponse(f"/applications/{filed.application_id}?done=confirmed", status_code=303)

    return router


def _org_choices(request: Request, session: sessions.Session) -> list[tuple[str, str]]:
    tree = authority_of(request).tree
    return [(code, f"{tree.name(code)}（{code}）") for code in subtree(authority_of(request), session.principal.org)]


def _yuan_field(form, name: str) -> int:
    try:
        fen = yuan_to_fen(str(form.get(name) or ""), name)
    except RowError as e:
        raise Refused(e.code, e.message) from None
    if fen <= 0:
        raise Refused("invalid_amount", "金额须大于0")
    return fen


def _required(form, name: str, message: str) -> str:
    value = str(form.get(name) or "").strip()
    if not value:
        raise Refused("field_required", message)
    return value


async def _visible_case(request: Request, session: sessions.Session, application_id: str) -> dict:
    """The case, if the signed-in union may see it; another county's case is not found (403)."""
    view = await application_view(pool_of(request), application_id)
    if view is None:
        raise Refused("application_not_found", "未找到该申请")
    authority_of(request).require_scope(session.principal.org, view["org_code"])
    return view


def _case_context(view: dict, session: sessions.Session) -> dict:
    """What the case page shows and which buttons it offers: only the acts the rules allow this
    person now (the API refuses the rest anyway)."""
    status = view["status"]
    filer = acts.is_filer(view, session.principal)
    return {
        "view": view, "filer": filer,
        "may_review": status == "manual_review" and not filer,
        "may_object": status == "in_notice",
        "open_objections": acts.open_acts(view, "objection", "raised", "resolved") if status == "in_notice" and not filer else [],
        "may_appeal": status in ("rejected", "appeal_dismissed"),
        "open_appeals": acts.open_acts(view, "appeal") if status == "appealed" and not filer else [],
        "may_complain": status in acts.GRANTED and not view["open_complaints"],
        "open_complaints": acts.open_acts(view, "complaint") if status in acts.GRANTED and not filer else [],
        "owed": acts.owed_fen(view) if status == "revoked" else 0,
    }
