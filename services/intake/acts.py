"""People's acts on an application, one function each, used by the HTTP API and the console
alike: in scope, never decided by the filer, only in the state the act belongs to (else 409:
told now, rather than dropped later), recorded as a signed event through intake's outbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg
import structlog

from contracts.base import Event
from contracts.campaign import ReportSubmitted
from contracts.ledger import BankCardCorrected, GrantRepaid
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
    notice_over,
)
from services.intake.clock import campaign_today
from services.intake.handlers import application_view
from services.shared import eventstore
from services.shared.authority import Authority, Principal
from services.shared.errors import Refused
from services.shared.labels import STATUS
from services.shared.policy import PolicyBook

log = structlog.get_logger(__name__)

GRANTED = ("approved", "paid", "payment_failed", "reissued", "settled")
CONFLICTS = {"wrong_state", "notice_over", "appeal_not_open", "complaint_not_open", "complaint_open", "objection_not_open",
             "repayment_exceeds_debt"}


def is_filer(view: dict, principal: Principal) -> bool:
    return (view["filed_by_org"], view["filed_by_user"]) == (principal.org, principal.user)


def open_acts(view: dict, kind: str, opened: str = "filed", closed: str = "decided") -> list[str]:
    """Ids of the appeals, complaints or objections (`kind`) raised on the application and not
    decided yet, from its history."""
    history = view["history"]
    raised = [e.get(f"{kind}_id") for e in history if e.get("event") == f"{kind}_{opened}"]
    settled = {e.get(f"{kind}_id") for e in history if e.get("event") == f"{kind}_{closed}"}
    return [i for i in raised if i not in settled]


def _require_open(view: dict, kind: str, act_id: str) -> None:
    if act_id not in open_acts(view, kind):
        label = {"appeal": "申诉", "complaint": "投诉"}[kind]
        raise Refused(f"{kind}_not_open", f"{label}{act_id}不存在或已处理")


async def record(pool: asyncpg.Pool, authority: Authority, principal: Principal, application_id: str,
                 make: Callable[[dict], Event], *, filer_may_act: bool, when: str | tuple[str, ...],
                 check: Callable[[dict], None] = lambda view: None, correlation_id: str | None = None) -> Event:
    view = await application_view(pool, application_id)
    if view is None:
        raise Refused("application_not_found", "未找到该申请")
    authority.require_scope(principal.org, view["org_code"])
    allowed = (when,) if isinstance(when, str) else when
    if view["status"] not in allowed:
        wanted = "或".join(f"“{STATUS[s]}”" for s in allowed)
        raise Refused("wrong_state", f"该申请当前状态为“{STATUS.get(view['status'], view['status'])}”，"
                                     f"只有{wanted}的申请可以办理此项")
    check(view)
    if not filer_may_act and is_filer(view, principal):
        raise Refused("filer_cannot_decide", "申报人不能审批或处理本人申报的申请")
    event = await record_act(pool, authority, principal, make(view), correlation_id)
    log.info("act_recorded", application_id=application_id, act=event.NAME)
    return event


async def record_act(pool: asyncpg.Pool, authority: Authority, principal: Principal, event: Event,
                     correlation_id: str | None = None) -> Event:
    """A person's act, signed by intake for the principal's union, into intake's outbox. One
    statement stores the event and queues it (`eventstore.append`), atomic by itself: no
    BEGIN and COMMIT round trips (a tenth of intake's CPU in `jinqiu bench`, profiled)."""
    cid = correlation_id or structlog.contextvars.get_contextvars().get("correlation_id")
    async with pool.acquire() as conn:
        await eventstore.record(conn, f"act-{uuid.uuid4()}", 0, [event], source="/jinqiu/intake",
                                orgcode=principal.org, seal=authority.seal, correlationid=cid)
    return event


def act_id(event: Event) -> str:
    return next((getattr(event, f) for f in ("objection_id", "appeal_id", "complaint_id") if hasattr(event, f)), "")


async def raise_objection(pool, authority, principal, application_id: str, summary: str) -> Event:
    """Only while the notice runs: the day after its last day it is over, even before verification's
    closing of it reaches this view."""
    today = await campaign_today(pool)

    def running(view: dict) -> None:
        if notice_over(view["notice_ends_on"], today):
            raise Refused("notice_over", f"公示已于{view['notice_ends_on']}结束，不能再提出异议")

    return await record(pool, authority, principal, application_id, lambda view: ObjectionRaised(
        objection_id=str(uuid.uuid4()), application_id=application_id, org_code=principal.org, summary=summary),
        filer_may_act=True, when="in_notice", check=running)


async def resolve_objection(pool, authority, principal, application_id: str, objection_id: str,
                            outcome: ObjectionOutcome, note: str = "") -> Event:
    return await record(pool, authority, principal, application_id, lambda view: ObjectionResolved(
        objection_id=objection_id, application_id=application_id, outcome=outcome, resolver_org=principal.org,
        resolver_user=principal.user, note=note), filer_may_act=False, when="in_notice")


async def decide_review(pool, authority, principal, application_id: str, outcome: ReviewOutcome,
                        note: str = "") -> Event:
    return await record(pool, authority, principal, application_id, lambda view: ManualReviewDecided(
        application_id=application_id, outcome=outcome, reviewer_org=principal.org, reviewer_user=principal.user,
        note=note), filer_may_act=False, when="manual_review")


async def file_appeal(pool, authority, principal, application_id: str, grounds: str) -> Event:
    return await record(pool, authority, principal, application_id, lambda view: AppealFiled(
        appeal_id=str(uuid.uuid4()), application_id=application_id, org_code=principal.org,
        recorded_by_user=principal.user, grounds=grounds), filer_may_act=True, when=("rejected", "appeal_dismissed"))


async def decide_appeal(pool, authority, principal, application_id: str, appeal_id: str, ruling: Ruling,
                        note: str = "") -> Event:
    return await record(pool, authority, principal, application_id, lambda view: AppealDecided(
        appeal_id=appeal_id, application_id=application_id, ruling=ruling, decider_org=principal.org,
        decider_user=principal.user, note=note), filer_may_act=False, when="appealed",
        check=lambda view: _require_open(view, "appeal", appeal_id))


async def file_complaint(pool, authority, principal, application_id: str, summary: str) -> Event:
    def none_open(view: dict) -> None:
        if view["open_complaints"]:
            raise Refused("complaint_open", "该申请已有待处理的投诉，请先处理")
    return await record(pool, authority, principal, application_id, lambda view: ComplaintFiled(
        complaint_id=str(uuid.uuid4()), application_id=application_id, org_code=principal.org,
        recorded_by_user=principal.user, summary=summary), filer_may_act=True, when=GRANTED, check=none_open)


async def decide_complaint(pool, authority, principal, application_id: str, complaint_id: str, ruling: Ruling,
                           note: str = "") -> Event:
    return await record(pool, authority, principal, application_id, lambda view: ComplaintDecided(
        complaint_id=complaint_id, application_id=application_id, ruling=ruling, decider_org=principal.org,
        decider_user=principal.user, note=note), filer_may_act=False, when=GRANTED,
        check=lambda view: _require_open(view, "complaint", complaint_id))


async def correct_bank_card(pool, authority, principal, application_id: str, bank_card: str) -> Event:
    return await record(pool, authority, principal, application_id, lambda view: BankCardCorrected(
        application_id=application_id, org_code=view["org_code"], bank_card=bank_card,
        corrected_by_user=principal.user), filer_may_act=True, when="payment_failed")


def owed_fen(view: dict) -> int:
    """What a recipient still owes after a revoked, settled grant: the grant, less repayments."""
    if not any(e.get("status") == "settled" for e in view["history"]):
        return 0
    return (view["amount_fen"] or 0) - sum(e.get("repaid_fen", 0) for e in view["history"]
                                           if e.get("event") == "grant_repaid")


async def record_repayment(pool, authority, principal, application_id: str, amount_fen: int,
                           bank_reference: str) -> Event:
    def within_debt(view: dict) -> None:
        if amount_fen > owed_fen(view):
            raise Refused("repayment_exceeds_debt", f"该申请尚欠{owed_fen(view) / 100:.2f}元，还款金额不能超过欠款")
    return await record(pool, authority, principal, application_id, lambda view: GrantRepaid(
        repayment_id=str(uuid.uuid4()), application_id=application_id, org_code=principal.org, amount_fen=amount_fen,
        bank_reference=bank_reference, recorded_by_user=principal.user), filer_may_act=True, when="revoked",
        check=within_debt)


async def record_submission(pool: asyncpg.Pool, authority: Authority, book: PolicyBook, principal: Principal, deadline: str,
                            year: int) -> ReportSubmitted:
    """The caller's union has sent the report due on `deadline` (a code of its policy's calendar
    that names a report), on the campaign date intake last heard."""
    policy = book.find(principal.org, year)
    if policy is None or not any(d.code == deadline and d.report for d in policy.calendar.deadlines):
        raise Refused("deadline_not_found", f"本年度日程中没有需报送报表的事项{deadline}")
    today = await campaign_today(pool)
    if today is None:
        raise Refused("campaign_not_started", "活动日期尚未开始，无法报送")
    return await record_act(pool, authority, principal, ReportSubmitted(
        org_code=principal.org, campaign_year=year, deadline=deadline, submitted_on=today,
        recorded_by_user=principal.user))
