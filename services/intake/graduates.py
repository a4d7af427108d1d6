"""Union staff's acts on 阳光就业 files, one function each, used by the HTTP API and the console:
checked against intake's view first (so the caller hears 403/404/409 now, not a dead letter
later), then recorded as a signed event through intake's outbox. The employment service checks
each act again against the graduate's own stream and alone decides what the file becomes."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import structlog

from contracts.base import Event
from contracts.employment import (
    EmploymentProgressRecorded,
    FairKind,
    GraduateHandedOff,
    GraduateProfiled,
    GraduateRecommended,
    HandoffAnswered,
    JobFairHeld,
    Post,
    SubsidyKind,
    SubsidyRequested,
    SupportArranged,
)
from services.intake.acts import record_act
from services.shared.authority import Authority, Principal
from services.shared.errors import Refused
from services.shared.orgs import serves_graduate
from services.shared.policy import PolicyBook

log = structlog.get_logger(__name__)

CONFLICTS = {"handoff_open", "handoff_not_open", "already_recommended", "subsidy_already_granted"}
NOT_FOUND = {"graduate_not_found", "fair_not_found", "post_not_found"}
UNPROCESSABLE = {"subsidy_over_cap", "subsidy_not_in_policy", "outside_cohort", "handoff_within_line"}


async def graduate_view(pool: asyncpg.Pool, graduate_id: str) -> dict:
    row = await pool.fetchrow("SELECT * FROM graduates_view WHERE graduate_id = $1", graduate_id)
    if row is None:
        raise Refused("graduate_not_found", "未找到该毕业生的实名制档案")
    return dict(row)


def destination(view: dict) -> str | None:
    return view["handoff_to"] if view["handoff_status"] == "accepted" else None


def visible_to(authority: Authority, org: str, view: dict) -> bool:
    """Seen by the origin's and the destination's lines, a pending handoff by its addressee too."""
    offered = view["handoff_to"] if view["handoff_status"] in ("pending", "accepted") else None
    return serves_graduate(authority.tree.on_one_line, org, view["origin_org"], offered)


def _require_serves(authority: Authority, principal: Principal, view: dict) -> None:
    if not serves_graduate(authority.tree.on_one_line, principal.org, view["origin_org"], destination(view)):
        raise Refused("org_out_of_scope", f"{authority.tree.name(principal.org)}不是该毕业生的生源地工会或已接收的"
                                          "意向工作地工会，无权记录")


async def _record(pool: asyncpg.Pool, authority: Authority, principal: Principal, event: Event) -> Event:
    await record_act(pool, authority, principal, event)
    log.info("graduate_act_recorded", act=event.NAME)
    return event


async def _on_file(pool, authority, principal, graduate_id: str, make) -> Event:
    view = await graduate_view(pool, graduate_id)
    _require_serves(authority, principal, view)
    return await _record(pool, authority, principal, make(view))


async def profile(pool, authority, principal, graduate_id: str, fields: dict) -> Event:
    if fields.get("intended_org") and fields["intended_org"] not in authority.tree.orgs:
        raise Refused("org_not_found", f"没有工会代码{fields['intended_org']}")
    return await _on_file(pool, authority, principal, graduate_id, lambda view: GraduateProfiled(
        graduate_id=graduate_id, org_code=principal.org, recorded_by_user=principal.user, **fields))


async def hand_off(pool, authority, principal, graduate_id: str, to_org: str, note: str = "") -> Event:
    view = await graduate_view(pool, graduate_id)
    if not authority.tree.on_one_line(principal.org, view["origin_org"]):
        raise Refused("org_out_of_scope", "只有生源地工会可以转介该毕业生")
    if to_org not in authority.tree.orgs:
        raise Refused("org_not_found", f"没有工会代码{to_org}")
    if authority.tree.on_one_line(to_org, view["origin_org"]):
        raise Refused("handoff_within_line", "意向工作地工会与生源地工会属同一条线，无需转介")
    if view["handoff_status"] in ("pending", "accepted"):
        raise Refused("handoff_open", f"该毕业生已转介至{authority.tree.name(view['handoff_to'])}，请等待对方答复")
    return await _record(pool, authority, principal, GraduateHandedOff(
        handoff_id=str(uuid.uuid4()), graduate_id=graduate_id, org_code=principal.org, to_org=to_org, note=note,
        recorded_by_user=principal.user))


async def answer_handoff(pool, authority, principal, graduate_id: str, handoff_id: str, accepted: bool,
                         note: str = "") -> Event:
    view = await graduate_view(pool, graduate_id)
    if view["handoff_id"] != handoff_id or view["handoff_status"] != "pending":
        raise Refused("handoff_not_open", f"转介{handoff_id}不存在或已答复")
    if not authority.tree.on_one_line(principal.org, view["handoff_to"]):
        raise Refused("org_out_of_scope", "只有意向工作地工会可以接收或退回该转介")
    return await _record(pool, authority, principal, HandoffAnswered(
        handoff_id=handoff_id, graduate_id=graduate_id, org_code=principal.org, accepted=accepted, note=note,
        recorded_by_user=principal.user))


async def hold_job_fair(pool, authority, principal, org_code: str, name: str, kind: FairKind, held_on: dt.date,
                        posts: list[Post]) -> Event:
    authority.require_scope(principal.org, org_code)
    return await _record(pool, authority, principal, JobFairHeld(
        fair_id=str(uuid.uuid4()), org_code=org_code, name=name, kind=kind, held_on=held_on, posts=tuple(posts),
        recorded_by_user=principal.user))


async def recommend(pool, authority, principal, graduate_id: str, fair_id: str, post_id: str) -> Event:
    posts = await pool.fetchval("SELECT post_list FROM job_fairs_view WHERE fair_id = $1", fair_id)
    if posts is None:
        raise Refused("fair_not_found", f"未找到招聘会{fair_id}")
    if not any(p["post_id"] == post_id for p in posts):
        raise Refused("post_not_found", f"招聘会{fair_id}没有岗位{post_id}")
    def make(view: dict) -> GraduateRecommended:
        if f"{fair_id}/{post_id}" in view["recommended"]:
            raise Refused("already_recommended", "已向该岗位推荐过该毕业生")
        return GraduateRecommended(recommendation_id=str(uuid.uuid4()), graduate_id=graduate_id, org_code=principal.org, fair_id=fair_id,
        post_id=post_id, recorded_by_user=principal.user)
    return await _on_file(pool, authority, principal, graduate_id, make)


async def record_progress(pool, authority, principal, graduate_id: str, **fields) -> Event:
    return await _on_file(pool, authority, principal, graduate_id, lambda view: EmploymentProgressRecorded(
        graduate_id=graduate_id, org_code=principal.org, recorded_by_user=principal.user, **fields))


async def arrange_support(pool, authority, principal, graduate_id: str, kind, partner: str) -> Event:
    return await _on_file(pool, authority, principal, graduate_id, lambda view: SupportArranged(
        support_id=str(uuid.uuid4()), graduate_id=graduate_id, org_code=principal.org, kind=kind, partner=partner,
        recorded_by_user=principal.user))


async def request_subsidy(pool, authority, principal, book: PolicyBook, campaign_year: int, graduate_id: str,
                          kind: SubsidyKind, amount_fen: int, payee: str, bank_card: str) -> Event:
    """The policy's cap and cohort, and once per kind, told now; employment decides again."""
    def make(view: dict) -> SubsidyRequested:
        policy = book.find(view["origin_org"], campaign_year)
        cap = policy.employment_subsidies_fen.get(kind) if policy else None
        cohort = policy.graduate_cohort if policy else None
        if cohort and not cohort[0] <= view["graduation_year"] <= cohort[1]:
            raise Refused("outside_cohort", f"{view['graduation_year']}届毕业生不在本年度阳光就业帮扶范围"
                                            f"（{cohort[0]}-{cohort[1]}届）")
        if cap is None:
            raise Refused("subsidy_not_in_policy", "本年度政策未设此类就业补贴")
        if amount_fen > cap:
            raise Refused("subsidy_over_cap", f"补贴{amount_fen / 100:.2f}元超过政策上限{cap / 100:.2f}元")
        if kind.value in view["subsidies"]:
            raise Refused("subsidy_already_granted", "该毕业生已获此类补贴，不重复发放")
        return SubsidyRequested(subsidy_id=f"SUB-{uuid.uuid4()}", graduate_id=graduate_id, org_code=principal.org,
                                kind=kind, amount_fen=amount_fen, payee=payee, bank_card=bank_card,
                                recorded_by_user=principal.user)
    return await _on_file(pool, authority, principal, graduate_id, make)


async def graduates_seen_by(pool: asyncpg.Pool, authority: Authority, org: str) -> list[dict]:
    """The graduates a union keeps or is offered: from its subtree as origin, or handed to it."""
    below = [c for c in authority.tree.orgs if authority.tree.may_act(org, c)]
    rows = await pool.fetch("SELECT * FROM graduates_view WHERE origin_org = ANY($1) OR (handoff_to = ANY($1) "
                            "AND handoff_status IN ('pending', 'accepted')) "
                            "ORDER BY origin_org, graduation_year, graduate_id", below)
    return [dict(r) for r in rows]
