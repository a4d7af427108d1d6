"""Application lifecycle events: submitted by intake, decided by verification."""

from __future__ import annotations

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


class Person(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(description="Resident ID number (居民身份证号), validated by intake")


class Student(Person):
    stage: SchoolStage
    school: str = Field(min_length=1, max_length=100)
    new_entrant: bool = Field(description="Newly admitted this year (新入学)")
    graduation_year: int | None = None


class ApplicationSubmitted(Event):
    NAME = "application.submitted"
    TOPIC = APPLICATIONS
    KEY_FIELD = "student_key"

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


class ApplicationVerified(Event):
    NAME = "application.verified"
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


class ApplicationRejected(Event):
    NAME = "application.rejected"
    TOPIC = DECISIONS
    KEY_FIELD = "application_id"

    application_id: str
    org_code: OrgCode
    reasons: tuple[str, ...]
    policy_version: str
