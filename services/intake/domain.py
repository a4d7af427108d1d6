"""The application form as union staff file it, and the fact it becomes once accepted."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from contracts.applications import ApplicationSubmitted, Category, Document, Program, SchoolStage, SchoolTier
from contracts.applications import Person as PersonContract
from contracts.applications import Student as StudentContract
from contracts.base import Fen, OrgCode
from services.intake.personal_data import student_key, valid_bank_card, valid_id_number, valid_phone

IdNumber = Annotated[str, AfterValidator(valid_id_number)]
BankCard = Annotated[str, AfterValidator(valid_bank_card)]
Phone = Annotated[str | None, AfterValidator(valid_phone)]

APPLICATION_NAMESPACE = uuid.UUID("4f6a7c1e-2b8d-4c55-9e0a-6d3b2f1a9c77")


class PersonForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=50, description="姓名")
    id_number: IdNumber = Field(description="居民身份证号")


class StudentForm(PersonForm):
    stage: SchoolStage = Field(description="就读阶段")
    school: str = Field(min_length=1, max_length=100, description="学校")
    new_entrant: bool = Field(description="是否新入学")
    graduation_year: int | None = Field(default=None, ge=2000, le=2100, description="毕业年份")
    school_tier: SchoolTier | None = Field(default=None, description="院校层次：985 / 211")


class ApplicationForm(BaseModel):
    """附件1 / 附件2 as JSON. `submission_id` is the filing union's own id for idempotency."""

    model_config = ConfigDict(extra="forbid")
    submission_id: str = Field(min_length=1, max_length=100)
    org_code: OrgCode
    campaign_year: int = Field(ge=2020, le=2100)
    household_id: str | None = Field(default=None, max_length=64, description="困难职工档案编号")
    category: Category
    program: Program
    worker: PersonForm
    student: StudentForm
    tuition_invoice_fen: Fen = Field(default=0, description="学费发票金额（分）")
    bank_card: BankCard
    phone: Phone = None
    documents: list[Document] = Field(default_factory=list, description="申报材料：存储位置与SHA-256")
    relative_of_staff: bool = Field(default=False, description="是否与工会工作人员存在亲属关系")

    @model_validator(mode="before")
    @classmethod
    def _printable_text_only(cls, data: Any) -> Any:
        """Control characters and broken encodings (lone surrogates) have no place in a form, and
        PostgreSQL or the broker could not keep them faithfully."""
        if has_unprintable_text(data):
            raise PydanticCustomError("invalid_characters", "含有控制字符或无法识别的字符，请检查后重新填写")
        return data


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
# In orjson's JSON, where escaped backslashes are taken out: an escape other than a quote's (orjson
# escapes nothing but quotes, backslashes and control characters), or DEL, which it writes as is.
_CONTROL_IN_JSON = re.compile(rb'\\[^"]|\x7f')


def has_unprintable_text(data: Any) -> bool:
    """Whether any string of a parsed form, keys included, holds a control character or a lone
    surrogate. Searched in the form as orjson writes it, in one pass (walking a form's hundred
    strings in Python was a quarter of validating a filing); where orjson declines the data (a
    lone surrogate, an integer beyond 64 bits), the strings are walked one by one."""
    try:
        written = orjson.dumps(data, default=_not_text, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS)
    except TypeError:
        return _UNPRINTABLE.search("".join(_strings(data))) is not None
    if b"\\" not in written and b"\x7f" not in written:  # the common case, found at memchr's speed
        return False
    return _CONTROL_IN_JSON.search(written.replace(b"\\\\", b"")) is not None


def _not_text(_: object) -> None:
    """What is neither text, a number, a list nor a mapping holds no text to check."""
    return None


def _strings(value: Any) -> list[str]:
    """Every string of a parsed form, keys included."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(k for k in item if isinstance(k, str))
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return found


def application_id_for(org_code: str, submission_id: str) -> str:
    """Deterministic, so a resubmission of the same form maps to the same application."""
    return str(uuid.uuid5(APPLICATION_NAMESPACE, f"{org_code}:{submission_id}"))


def submit(form: ApplicationForm, filed_by_org: str, filed_by_user: str) -> ApplicationSubmitted:
    return ApplicationSubmitted(
        application_id=application_id_for(form.org_code, form.submission_id),
        submission_id=form.submission_id,
        student_key=student_key(form.student.id_number),
        campaign_year=form.campaign_year,
        org_code=form.org_code,
        household_id=form.household_id,
        category=form.category,
        program=form.program,
        worker=PersonContract(**form.worker.model_dump()),
        student=StudentContract(**form.student.model_dump()),
        tuition_invoice_fen=form.tuition_invoice_fen,
        bank_card=form.bank_card,
        phone=form.phone,
        documents=tuple(form.documents),
        relative_of_staff=form.relative_of_staff,
        filed_by_org=filed_by_org,
        filed_by_user=filed_by_user,
    )
