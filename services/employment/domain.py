"""Who is tracked as a graduate, and how a graduate's status folds from progress events. Pure."""

from __future__ import annotations

from contracts.applications import ApplicationSubmitted, SchoolStage
from contracts.employment import EmploymentProgressRecorded, EmploymentStage, GraduateRegistered

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
