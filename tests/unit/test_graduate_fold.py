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


def test_only_the_origin_line_records_progress():
    import pytest

    from services.shared.errors import Refused
    from services.shared.orgs import load_tree

    tree = load_tree()
    registered = Graduate.fold([REGISTERED])
    assert registered.record(progress(EmploymentStage.EMPLOYED, 1), tree.on_one_line).stage is EmploymentStage.EMPLOYED
    city = progress(EmploymentStage.EMPLOYED, 1).model_copy(update={"org_code": "341600"})
    assert registered.record(city, tree.on_one_line).version == 2
    for elsewhere in ("610200", "341621"):  # Shaanxi; a neighbouring county
        with pytest.raises(Refused) as refused:
            registered.record(progress(EmploymentStage.EMPLOYED, 1).model_copy(update={"org_code": elsewhere}),
                              tree.on_one_line)
        assert refused.value.code == "org_out_of_scope"
