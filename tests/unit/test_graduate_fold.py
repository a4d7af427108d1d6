"""A graduate's 实名制档案 folds from its stream: the furthest stage, the last employer named,
every report in history; the projection row is exactly the fold."""

import datetime as dt

from contracts.employment import EmploymentProgressRecorded, EmploymentStage, GraduateRegistered
from services.employment.domain import Graduate

REGISTERED = GraduateRegistered(graduate_id="g1", application_id="a1", origin_org="341602", graduation_year=2023)


def progress(stage: EmploymentStage, day: int, employer: str | None = None) -> EmploymentProgressRecorded:
    return EmploymentProgressRecorded(graduate_id="g1", org_code="341602", stage=stage,
                                      recorded_on=dt.date(2023, 9, day), employer=employer)


def test_the_furthest_stage_holds_and_every_report_is_history():
    stream = [REGISTERED, progress(EmploymentStage.INTERVIEW, 1), progress(EmploymentStage.EMPLOYED, 5, "合肥某厂"),
              progress(EmploymentStage.TRAINING, 9)]
    graduate = Graduate.fold(stream)
    assert (graduate.version, graduate.stage, graduate.employer) == (4, EmploymentStage.EMPLOYED, "合肥某厂")
    assert [h["stage"] for h in graduate.history] == ["interview", "employed", "training"]
    row = graduate.projection()
    assert row["status"] == "employed" and row["history"][1] == {"stage": "employed", "on": "2023-09-05",
                                                                 "by": "341602"}
    assert Graduate.fold([REGISTERED]).projection()["status"] == "enrolment"
