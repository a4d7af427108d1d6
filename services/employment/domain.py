"""Who is tracked as a graduate, and the graduate as a fold of its stream: registered, then each
progress report. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from contracts.applications import ApplicationSubmitted, SchoolStage
from contracts.employment import EmploymentProgressRecorded, EmploymentStage, GraduateRegistered
from services.shared.errors import Refused

COLLEGE_STAGES = {SchoolStage.HIGHER_VOCATIONAL, SchoolStage.UNDERGRADUATE, SchoolStage.POSTGRADUATE}
STAGE_ORDER = {stage: i for i, stage in enumerate(EmploymentStage)}


def graduate_from(app: ApplicationSubmitted, earliest_cohort: int | None) -> GraduateRegistered | None:
    """College students with a graduation year enter the real-name employment archive (实名制档案),
    unless they graduated before the earliest cohort the policy serves (the seed: 2021-2023)."""
    year = app.student.graduation_year
    if app.student.stage not in COLLEGE_STAGES or year is None:
        return None
    if earliest_cohort is not None and year < earliest_cohort:
        return None
    return GraduateRegistered(
        graduate_id=app.student_key, application_id=app.application_id,
        origin_org=app.org_code, graduation_year=app.student.graduation_year,
    )


def advance(current: EmploymentStage, progress: EmploymentProgressRecorded) -> EmploymentStage:
    """The furthest stage reached; a late report of an earlier stage does not move it back."""
    return max(current, progress.stage, key=STAGE_ORDER.__getitem__)


@dataclass(frozen=True)
class Graduate:
    """A graduate's 实名制档案 as its stream has it; `version` is the stream's length."""

    registered: GraduateRegistered
    version: int = 1
    stage: EmploymentStage = EmploymentStage.ENROLMENT
    employer: str | None = None
    history: tuple[dict, ...] = ()

    @classmethod
    def fold(cls, events: Iterable) -> Graduate:
        stream = iter(events)
        graduate = cls(registered=next(stream))
        for event in stream:
            graduate = graduate.apply(event)
        return graduate

    def record(self, progress: EmploymentProgressRecorded, on_line: Callable[[str, str], bool]) -> Graduate:
        """Progress is recorded only by the graduate's origin union (生源地) or a union above or
        below it: a union elsewhere in the country may not move someone else's graduate."""
        if not on_line(progress.org_code, self.registered.origin_org):
            raise Refused("org_out_of_scope", f"{progress.org_code}无权记录生源地为{self.registered.origin_org}的毕业生就业进展")
        return self.apply(progress)

    def apply(self, progress: EmploymentProgressRecorded) -> Graduate:
        entry = {"stage": progress.stage.value, "on": progress.recorded_on.isoformat(), "by": progress.org_code}
        return replace(self, version=self.version + 1, stage=advance(self.stage, progress),
                       employer=progress.employer or self.employer, history=(*self.history, entry))

    def projection(self) -> dict:
        r = self.registered
        return {"graduate_id": r.graduate_id, "application_id": r.application_id, "origin_org": r.origin_org,
                "graduation_year": r.graduation_year, "status": self.stage.value, "employer": self.employer,
                "history": list(self.history)}
