"""Aid standards as data: one JSON file per province and year, validated on load, versioned by hash."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.applications import Category, SchoolStage
from contracts.funds import FundSource


class TuitionCapped(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["tuition_capped"]
    cap_fen: int = Field(gt=0)


class Fixed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["fixed"]
    fen: int = Field(gt=0)
    parameter: bool = Field(default=False, description="Not given by the seed: set by the union")


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    title: str
    note: str | None = None
    categories: tuple[Category, ...] = ()  # empty: any
    stages: tuple[SchoolStage, ...] = ()
    new_entrant: bool | None = None  # None: either
    requires_hardship_file: bool
    amount: Annotated[TuitionCapped | Fixed, Field(discriminator="kind")]
    fund_sources: tuple[FundSource, ...] = Field(min_length=1)

    def matches(self, category: Category, stage: SchoolStage, new_entrant: bool) -> bool:
        return (
            (not self.categories or category in self.categories)
            and (not self.stages or stage in self.stages)
            and (self.new_entrant is None or self.new_entrant == new_entrant)
        )


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    policy: str
    title: str
    province: str
    campaign_year: int
    source: str
    rules: tuple[Rule, ...] = Field(min_length=1)
    version: str = ""

    def rule_for(self, category: Category, stage: SchoolStage, new_entrant: bool) -> Rule | None:
        return next((r for r in self.rules if r.matches(category, stage, new_entrant)), None)


def parse_policy(text: str) -> Policy:
    raw = json.loads(text)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return Policy.model_validate({**raw, "version": f"{raw.get('policy')}@{digest[:12]}"})


def load_policy(name_or_path: str) -> Policy:
    """A bundled policy by name (`anhui-2023`) or a JSON file by path."""
    path = Path(name_or_path)
    if path.suffix == ".json" and path.exists():
        return parse_policy(path.read_text(encoding="utf-8"))
    bundled = resources.files("services.verification") / "policies" / f"{name_or_path}.json"
    return parse_policy(bundled.read_text(encoding="utf-8"))
