"""Application lifecycle events: submitted by intake, decided by verification."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import Event, Fen, OrgCode
from contracts.topics import APPLICATIONS, DECISIONS


class Category(StrEnum):
    """The six groups the seeds say may be served (服务对象)."""

    ARCHIVED_FAMILY = "archived_family"  # 建档立卡困难职工家庭
    WARMTH_VISITED = "warmth_visited"  # 送温暖帮扶慰问家庭
    GIG_OR_MIGRANT = "gig_or_migrant"  # 困难新就业形态劳动者、农民工家庭
    LIANG_HOU_SHENG = "liang_hou_sheng"  # 两后生
    GRADUATE = "graduate"  # 2021-2023届高校毕业生
    OTHER = "other"  # 各级工会确定的其他对象


class Program(StrEnum):
    ENROLMENT_AID = "enrolment_aid"  # 入学助学 (附件1)
    DREAM_PLAN = "dream_plan"  # 圆梦计划 (附件2)
    GOLDEN_BLUE_COLLAR = "golden_blue_collar"  # 金牌蓝领
    WORK_STUDY = "work_study"  # 暑期勤工俭学
    SUNSHINE_EMPLOYMENT = "sunshine_employment"  # 阳光就业
    STARTUP = "startup"  # 创业扶持


class SchoolStage(StrEnum):
    PRESCHOOL = "preschool"
    PRIMARY = "primary"
    JUNIOR_SECONDARY = "junior_secondary"
    SENIOR_SECONDARY = "senior_secondary"
    SECONDARY_VOCATIONAL = "secondary_vocational"
    HIGHER_VOCATIONAL = "higher_vocational"
    UNDERGRADUATE = "undergraduate"
    POSTGRADUATE = "postgraduate"
    SPECIAL_EDUCATION = "special_education"


class SchoolTier(StrEnum):
    KEY_985 = "985"  # 985工程院校 (also 211)
    KEY_211 = "211"  # 211工程院校


class DocumentKind(StrEnum):
    """The seeds' documents checklist (申报材料)."""

    APPLICATION_FORM = "application_form"  # 附件1 / 附件2 申请表
    ARCHIVE_FORM = "archive_form"  # 附件3 / 附件4 困难职工(农民工)档案表
    WORKER_ID_CARD = "worker_id_card"  # 职工身份证
    HOUSEHOLD_IDS = "household_ids"  # 家庭成员身份证或户口簿
    INCOME_PROOF = "income_proof"  # 近12个月银行流水或工资单
    EMPLOYMENT_PROOF = "employment_proof"  # 劳动合同或社保缴费证明
    TUITION_RECEIPT = "tuition_receipt"  # 因学费用凭证
    ADMISSION_PROOF = "admission_proof"  # 分数条、录取通知书 (新生)
    STUDENT_PROOF = "student_proof"  # 学生证、成绩单或荣誉证书 (在校生)
    SOCIAL_SECURITY_CARD = "social_security_card"  # 社保卡
    HOUSEHOLD_CHECK_AUTHORIZATION = "household_check_authorization"  # 附件5 核对授权承诺书
    EMPLOYER_NOTICE = "employer_notice"  # 附件6 单位公示


class Document(BaseModel):
    """A document that travels with the application: where it is stored and its content hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: DocumentKind
    ref: str = Field(min_length=1, max_length=500, description="Storage reference, e.g. s3://bucket/key")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(description="Resident ID number (居民身份证号), validated by intake")


class Student(Person):
    stage: SchoolStage
    school: str = Field(min_length=1, max_length=100)
    new_entrant: bool = Field(description="Newly admitted this year (新入学)")
    graduation_year: int | None = None
    school_tier: SchoolTier | None = Field(default=None, description="985 / 211 (重点院校)")


class ApplicationSubmitted(Event):
    NAME = "application.submitted"
    TOPIC = APPLICATIONS
    KEY_FIELD = "student_key"
    ACTING_ORG_FIELD = "org_code"

    application_id: str
    submission_id: str = Field(description="The filing union's own id; intake is idempotent on it")
    student_key: str = Field(description="Hash of the student's ID number: the partition key")
    campaign_year: int
    org_code: OrgCode
    household_id: str | None = Field(default=None, description="Hardship file (档案) number")
    category: Category
    program: Program
    worker: Person
    student: Student
    tuition_invoice_fen: Fen = 0
    bank_card: str
    phone: str | None = None
    documents: tuple[Document, ...] = ()
    relative_of_staff: bool = Field(default=False, description="Declared relative of union staff (亲属关系)")
    late_filing: bool = Field(default=False, description="补报: filed after the policy's filing window, which the "
                                                         "policy accepts flagged")
    filed_by_org: OrgCode = Field(description="The org whose credential filed it")
    filed_by_user: str = Field(description="The staff member who filed it")


class DecisionInputs(BaseModel):
    """What a decision was made on, as it stood when it was made: the application's own facts and
    the registry's. With the policy version, enough for an auditor to decide again."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    student_key: str = Field(description="The student's pseudonym: one aid per student and year is checked on it")
    campaign_year: int
    category: Category
    program: Program
    stage: SchoolStage
    school_tier: SchoolTier | None = None
    new_entrant: bool
    graduation_year: int | None = None
    tuition_invoice_fen: Fen = 0
    documents: tuple[DocumentKind, ...] = ()
    relative_of_staff: bool = False
    hardship_file: str | None = Field(default=None, description="None, open or closed")
    hardship_file_in_scope: bool = True
    authorization_signed: bool = Field(description="附件5 signed and not revoked")
    authorization_complete: bool = Field(description="Signed by the worker and every family member on the file")
    authorization_signed_on: dt.date | None = None
    household_check_passed: bool | None = None
    warmth_visited: bool = False
    gig_worker: bool = False
    reviewed_on: dt.date | None = Field(default=None, description="The campaign date of the review")


def upcast_decision_v1_v2(data: dict) -> dict:
    """v1 decisions recorded no inputs: they read as v2 with `inputs` unknown."""
    return {**data, "inputs": None}


class ApplicationVerified(Event):
    NAME = "application.verified"
    VERSION = 2
    TOPIC = DECISIONS
    KEY_FIELD = "application_id"

    application_id: str
    org_code: OrgCode
    amount_fen: Fen
    fund_sources: tuple[str, ...] = Field(description="Fund sources allowed, in preference order")
    stage: SchoolStage
    rule_id: str
    policy_version: str
    bank_card: str
    priority: int = Field(default=0, description="Lower is paid first when funds are short (新生优先)")
    inputs: DecisionInputs | None = Field(default=None, description="What it was decided on (None: a v1 decision)")
    attempt: int = Field(default=1, ge=1, description="Which review of the application: 1, and one more after "
                         "each upheld appeal")

    @property
    def payment_key(self) -> str:
        """What the bank and the ledger call the money for: the application."""
        return self.application_id


class ApplicationRejected(Event):
    NAME = "application.rejected"
    VERSION = 2
    TOPIC = DECISIONS
    KEY_FIELD = "application_id"

    application_id: str
    org_code: OrgCode
    reasons: tuple[str, ...]
    policy_version: str
    rule_id: str | None = Field(default=None, description="The rule the application fell under, if any")
    duplicate_of: str | None = Field(default=None, description="The first filing of this student, in log order")
    inputs: DecisionInputs | None = Field(default=None, description="What it was decided on (None: a v1 decision)")
    attempt: int = Field(default=1, ge=1, description="Which review of the application: 1, and one more after "
                         "each upheld appeal")


class ManualReviewRequired(Event):
    """A person must decide (e.g. a declared relative of union staff: 防止优亲厚友)."""

    NAME = "manual_review.required"
    TOPIC = DECISIONS
    KEY_FIELD = "application_id"

    application_id: str
    org_code: OrgCode
    reason: str
    filed_by_user: str
    attempt: int = Field(default=1, ge=1, description="Which review of the application: 1, and one more after "
                         "each upheld appeal")


class ApplicationInNotice(Event):
    """Review passed; the application is on public notice (公示) until `ends_on`."""

    NAME = "application.in_notice"
    TOPIC = DECISIONS
    KEY_FIELD = "application_id"

    application_id: str
    org_code: OrgCode
    starts_on: dt.date
    ends_on: dt.date
    amount_fen: Fen
    rule_id: str
    fund_sources: tuple[str, ...] = Field(default=(), description="The funds the grant may be paid from, "
                                          "in preference order (empty on notices published before this field)")
    attempt: int = Field(default=1, ge=1, description="Which review of the application: 1, and one more after "
                         "each upheld appeal")


class GrantRevoked(Event):
    """An approved grant withdrawn after an upheld complaint (投诉属实): what is unpaid is cancelled,
    what is paid is reversed in the ledger by a correcting entry."""

    NAME = "grant.revoked"
    TOPIC = DECISIONS
    KEY_FIELD = "application_id"

    application_id: str
    org_code: OrgCode
    complaint_id: str
    reasons: tuple[str, ...]
    decided_by_org: OrgCode
    decided_by_user: str
