"""阳光就业: graduates followed from enrolment to their first job, the unions' activities for them
(job fairs, recommendations, internships, training, start-up support, 一帮一 pairing), handoffs
between the origin union (生源地) and the destination union (意向工作地), and subsidies paid
from central assistance funds through the ledger."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.applications import Category, SchoolStage
from contracts.base import Event, Fen, OrgCode
from contracts.topics import DECISIONS, EMPLOYMENT

SUBSIDY_PREFIX = "SUB-"
"""A subsidy's id starts so; the bank and the ledger carry it where a grant carries its
application id, so money for a subsidy is never mistaken for a grant."""


def is_subsidy(payment_key: str | None) -> bool:
    return bool(payment_key) and payment_key.startswith(SUBSIDY_PREFIX)


class EmploymentStage(StrEnum):
    """实名制档案 stages in order, then the outcomes besides a job."""

    ENROLMENT = "enrolment"  # 入学
    TRAINING = "training"  # 培训
    INTERNSHIP = "internship"  # 实习
    JOB_SEEKING = "job_seeking"  # 求职
    INTERVIEW = "interview"  # 洽谈
    CONTRACT = "contract"  # 签约
    EMPLOYED = "employed"  # 就业
    UNEMPLOYED = "unemployed"  # 未就业 (after graduation, still looking)
    FURTHER_STUDY = "further_study"  # 升学
    GRASSROOTS = "grassroots"  # 基层项目


class GrassrootsProgram(StrEnum):
    SPECIAL_POST = "special_post"  # 特岗计划
    THREE_SUPPORTS = "three_supports"  # 三支一扶
    WESTERN = "western"  # 西部计划
    COMMUNITY = "community"  # 城乡社区
    VILLAGE_DOCTOR = "village_doctor"  # 乡村医生


class AssistanceNeed(StrEnum):
    JOB_RECOMMENDATION = "job_recommendation"  # 岗位推荐
    SKILLS_TRAINING = "skills_training"  # 技能培训
    INTERNSHIP = "internship"  # 实习见习
    CAREER_GUIDANCE = "career_guidance"  # 就业指导
    STARTUP = "startup"  # 创业扶持
    PAIRING = "pairing"  # 一帮一


class GraduateRegistered(Event):
    NAME = "graduate.registered"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"

    graduate_id: str
    application_id: str
    origin_org: OrgCode
    graduation_year: int
    campaign_year: int | None = Field(default=None, description="The campaign whose application registered them")
    school: str | None = None
    school_stage: SchoolStage | None = None
    category: Category | None = Field(default=None, description="家庭状况: the aid category the family filed under")


class Profile(BaseModel):
    """The 实名制档案's profile, as staff fill it in at 摸底建档 (the form and the event alike)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    major: str = Field(default="", max_length=100, description="专业")
    major_direction: str = Field(default="", max_length=100, description="专业方向")
    family_situation: str = Field(default="", max_length=500, description="家庭状况")
    intended_city: str = Field(default="", max_length=100, description="就业意愿：意向城市")
    intended_org: OrgCode | None = Field(default=None, description="意向工作地工会")
    intended_industry: str = Field(default="", max_length=100, description="就业意愿：意向行业")
    needs: tuple[AssistanceNeed, ...] = Field(default=(), description="援助需求")


class GraduateProfiled(Event, Profile):
    """The profile as the origin union (or the destination union) records it."""

    NAME = "graduate.profiled"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    graduate_id: str
    org_code: OrgCode
    recorded_by_user: str


class GraduateHandedOff(Event):
    """生源地工会 hands a graduate to the union of the city they intend to work in."""

    NAME = "graduate.handed_off"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    handoff_id: str
    graduate_id: str
    org_code: OrgCode = Field(description="The handing union (the origin's line)")
    to_org: OrgCode = Field(description="意向工作地工会")
    note: str = Field(default="", max_length=500)
    recorded_by_user: str


class HandoffAnswered(Event):
    """The destination union accepts the graduate (and may then record progress) or returns them."""

    NAME = "handoff.answered"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    handoff_id: str
    graduate_id: str
    org_code: OrgCode
    accepted: bool
    note: str = Field(default="", max_length=500)
    recorded_by_user: str


class FairKind(StrEnum):
    SCHOOL_ENTERPRISE = "school_enterprise"  # 校企对接
    ONLINE = "online"  # 线上招聘会
    ONSITE = "onsite"  # 线下招聘会


class PostKind(StrEnum):
    JOB = "job"  # 就业岗位
    INTERNSHIP = "internship"  # 实习岗位
    WORK_STUDY = "work_study"  # 勤工俭学岗位 (暑期专项勤工俭学)


class Post(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    post_id: str = Field(min_length=1, max_length=64)
    employer: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=100)
    kind: PostKind = PostKind.JOB
    openings: int = Field(default=1, ge=1, le=10_000)


class JobFairHeld(Event):
    NAME = "job_fair.held"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "fair_id"
    ACTING_ORG_FIELD = "org_code"

    fair_id: str = Field(min_length=1, max_length=64)
    org_code: OrgCode
    name: str = Field(min_length=1, max_length=200)
    kind: FairKind
    held_on: dt.date
    posts: tuple[Post, ...] = Field(min_length=1)
    recorded_by_user: str


class GraduateRecommended(Event):
    """A graduate recommended to a post offered at a job fair."""

    NAME = "graduate.recommended"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    recommendation_id: str
    graduate_id: str
    org_code: OrgCode
    fair_id: str
    post_id: str
    recorded_by_user: str


class EmploymentProgressRecorded(Event):
    NAME = "employment_progress.recorded"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    graduate_id: str
    org_code: OrgCode
    stage: EmploymentStage
    recorded_on: dt.date
    employer: str | None = None
    post_id: str | None = Field(default=None, description="The post it concerns (洽谈, 签约, 实习), if any")
    program: GrassrootsProgram | None = Field(default=None, description="For 基层项目: which")
    recorded_by_user: str | None = None


class SupportKind(StrEnum):
    STARTUP_MENTOR = "startup_mentor"  # 创业导师
    STARTUP_SPACE = "startup_space"  # 创业场地
    PAIRING = "pairing"  # 一帮一结对 (爱心人士、劳模先进)


class SupportArranged(Event):
    NAME = "support.arranged"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    support_id: str
    graduate_id: str
    org_code: OrgCode
    kind: SupportKind
    partner: str = Field(min_length=1, max_length=100, description="导师、场地或结对人")
    recorded_by_user: str


class SubsidyKind(StrEnum):
    TRAINING = "training"  # 技能培训补贴
    PLACEMENT = "placement"  # 职业介绍补贴
    WORK_STUDY = "work_study"  # 勤工俭学岗位补贴
    STARTUP = "startup"  # 创业扶持资金


class SubsidyRequested(Event):
    """A union asks for a subsidy for a graduate; employment checks it (who, cohort, policy cap,
    once per kind) and approves it for payment from central assistance funds."""

    NAME = "subsidy.requested"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"
    ACTING_ORG_FIELD = "org_code"

    subsidy_id: str = Field(pattern=r"^SUB-[0-9A-Za-z-]{1,60}$")
    graduate_id: str
    org_code: OrgCode = Field(description="The paying union: its central assistance fund (or its city's) pays")
    kind: SubsidyKind
    amount_fen: Fen = Field(gt=0)
    payee: str = Field(min_length=1, max_length=100, description="收款人：毕业生本人或培训、介绍机构")
    bank_card: str
    recorded_by_user: str


class SubsidyApproved(Event):
    """Employment approved a subsidy; disbursement pays it like a grant (same fund rules, bank,
    reversals, audit) under the subsidy's id."""

    NAME = "subsidy.approved"
    TOPIC = DECISIONS
    KEY_FIELD = "subsidy_id"

    subsidy_id: str = Field(pattern=r"^SUB-[0-9A-Za-z-]{1,60}$")
    graduate_id: str
    application_id: str = Field(description="The aid application the graduate was registered from")
    org_code: OrgCode
    kind: SubsidyKind
    amount_fen: Fen = Field(gt=0)
    stage: SchoolStage
    bank_card: str
    fund_sources: tuple[str, ...] = ("central",)
    priority: int = 0

    @property
    def payment_key(self) -> str:
        return self.subsidy_id


class GraduateRecorded(Event):
    """Employment accepted an act on a graduate's file: the file as it now stands, for the views
    and reports of every level (a refused act never produces one)."""

    NAME = "graduate.recorded"
    TOPIC = EMPLOYMENT
    KEY_FIELD = "graduate_id"

    graduate_id: str
    version: int = Field(ge=1, description="The file's stream length: views keep the highest")
    origin_org: OrgCode
    graduation_year: int
    stage: EmploymentStage
    employer: str | None = None
    program: GrassrootsProgram | None = None
    handoff_id: str | None = None
    handoff_to: OrgCode | None = None
    handoff_status: str | None = Field(default=None, description="pending, accepted or returned")
    recommended: tuple[str, ...] = Field(default=(), description="The posts recommended to, as fair_id/post_id")
    supports: tuple[SupportKind, ...] = ()
    subsidies: tuple[SubsidyKind, ...] = ()
    act: dict = Field(description="The act accepted, as the file's history shows it")
