"""Aid standards as data: one JSON file per province and year, validated on load, versioned by hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.applications import Category, DocumentKind, Program, SchoolStage, SchoolTier
from contracts.employment import SubsidyKind
from contracts.funds import FundSource

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TuitionCapped(BaseModel):
    """The tuition actually paid per invoice, up to a cap (按学费发票实际支出，不超过上限)."""

    model_config = _FROZEN
    kind: Literal["tuition_capped"]
    cap_fen: int = Field(gt=0)


class Fixed(BaseModel):
    model_config = _FROZEN
    kind: Literal["fixed"]
    fen: int = Field(gt=0)
    parameter: bool = Field(default=False, description="Not given by the seed: set by the union")


class Services(BaseModel):
    """No cash from this campaign: the student is served otherwise (jobs, training, posts)."""

    model_config = _FROZEN
    kind: Literal["services"]


class Rule(BaseModel):
    model_config = _FROZEN
    id: str
    title: str
    note: str | None = None
    categories: tuple[Category, ...] = ()  # empty: any
    programs: tuple[Program, ...] = ()
    stages: tuple[SchoolStage, ...] = ()
    school_tiers: tuple[SchoolTier, ...] = ()
    new_entrant: bool | None = None  # None: either
    requires_hardship_file: bool
    new_entrants_first: bool = Field(default=False, description="同等条件优先考虑新入学")
    amount: Annotated[TuitionCapped | Fixed | Services, Field(discriminator="kind")]
    fund_sources: tuple[FundSource, ...] = ()

    def matches(self, category: Category, program: Program, stage: SchoolStage, tier: SchoolTier | None,
                new_entrant: bool) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.programs or program in self.programs)
            and (not self.stages or stage in self.stages)
            and (not self.school_tiers or tier in self.school_tiers)
            and (self.new_entrant is None or self.new_entrant == new_entrant)
        )


class Deadline(BaseModel):
    model_config = _FROZEN
    code: str
    name: str = Field(description="As the notice names it, e.g. 摸底建档及需求汇总表上报")
    due: dt.date
    report: str | None = Field(default=None, description="The report due then (demand, stage, …), if any")


class Calendar(BaseModel):
    """The campaign's dates, as the notice sets them."""

    model_config = _FROZEN
    filing_closes: dt.date | None = Field(default=None, description="Last day filings are taken")
    late_filing: Literal["refuse", "flag"] = Field(
        default="refuse", description="After the window: refuse, or accept as 补报 flagged in the reports")
    deadlines: tuple[Deadline, ...] = ()

    def filing(self, today: dt.date | None) -> str:
        """`open`, `late` (accepted as 补报) or `closed` on campaign date `today` (unknown: open)."""
        if today is None or self.filing_closes is None or today <= self.filing_closes:
            return "open"
        return "late" if self.late_filing == "flag" else "closed"


class Policy(BaseModel):
    model_config = _FROZEN
    policy: str
    title: str
    province: str = Field(pattern=r"^\d{2}0000$")
    campaign_year: int
    source: str
    notice_days: int = Field(default=5, ge=1, le=30, description="公示期（天）")
    required_documents: dict[Program, tuple[DocumentKind, ...]] = Field(default_factory=dict)
    exclusive_programs: tuple[tuple[Program, ...], ...] = Field(
        default=(), description="Groups of programs of which a student gets at most one per year (一年一助)")
    authorization_valid_days: int | None = Field(
        default=None, ge=1, description="How long a signed 附件5 authorization counts, in days before the review")
    graduate_cohort: tuple[int, int] | None = Field(
        default=None, description="First and last graduation year that 阳光就业 serves (e.g. 2021-2023)")
    employment_subsidies_fen: dict[SubsidyKind, int] = Field(
        default_factory=dict, description="阳光就业 subsidies paid from central assistance funds: the most per graduate "
        "and kind, in fen; a kind not listed is not paid")
    calendar: Calendar = Field(default_factory=Calendar, description="Filing window and the dates reports are due")
    rules: tuple[Rule, ...] = Field(min_length=1)
    version: str = ""

    def aid_group(self, program: Program) -> str:
        """The name under which one aid per student and year is counted: the program's exclusive
        group, or the program alone."""
        group = next((g for g in self.exclusive_programs if program in g), (program,))
        return "+".join(sorted(p.value for p in group))

    def rule_for(self, category: Category, program: Program, stage: SchoolStage, tier: SchoolTier | None,
                 new_entrant: bool) -> Rule | None:
        return next((r for r in self.rules if r.matches(category, program, stage, tier, new_entrant)), None)


class PolicyBook:
    """The policies in force, by (province, campaign year)."""

    def __init__(self, policies: list[Policy]) -> None:
        self.by_key = {(p.province, p.campaign_year): p for p in policies}
        if len(self.by_key) != len(policies):
            raise ValueError("two policies for the same province and year")

    def find(self, org_code: str, campaign_year: int) -> Policy | None:
        return self.by_key.get((org_code[:2] + "0000", campaign_year))


def parse_policy(text: str) -> Policy:
    raw = json.loads(text)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return Policy.model_validate({**raw, "version": f"{raw.get('policy')}@{digest[:12]}"})


BUNDLED_POLICIES = Path(str(resources.files("services.verification") / "policies"))


def load_policy(name_or_path: str) -> Policy:
    """A bundled policy by name (`anhui-2023`) or a JSON file by path."""
    path = Path(name_or_path) if name_or_path.endswith(".json") else BUNDLED_POLICIES / f"{name_or_path}.json"
    if not path.exists():
        bundled = ", ".join(sorted(p.stem for p in BUNDLED_POLICIES.glob("*.json")))
        raise FileNotFoundError(f"policy {name_or_path!r} not found: neither a .json file nor one of the bundled "
                                f"policies ({bundled})")
    return parse_policy(path.read_text(encoding="utf-8"))


def load_book(names: str) -> PolicyBook:
    return PolicyBook([load_policy(n.strip()) for n in names.split(",") if n.strip()])


@cache
def configured_book() -> PolicyBook:
    """The policies this deployment runs (JINQIU_POLICY_FILES), loaded once."""
    from services.shared.settings import Settings

    return load_book(Settings().policy_files)
