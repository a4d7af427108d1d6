"""A graduate's 实名制档案 folds from its stream; each union act is checked by the fold: who may do
it (the origin's line, or the destination's once it accepted the handoff), and in which state."""

import datetime as dt

import pytest

from contracts.employment import (
    EmploymentProgressRecorded,
    EmploymentStage,
    GraduateHandedOff,
    GraduateRecommended,
    GraduateRegistered,
    HandoffAnswered,
    Post,
    SubsidyKind,
    SubsidyRequested,
)
from services.employment.domain import Graduate, advance
from services.shared.errors import Refused
from services.shared.orgs import load_tree

TREE = load_tree()
ORIGIN, CITY, NEIGHBOUR, DEST, TONGCHUAN = "341602", "341600", "341621", "610100", "610200"
REGISTERED = GraduateRegistered(graduate_id="g1", application_id="a1", origin_org=ORIGIN, graduation_year=2023,
                                campaign_year=2023)
POST = Post(post_id="p1", employer="合肥某厂", title="技术员")


def progress(stage: EmploymentStage, day: int = 1, employer: str | None = None,
             org: str = ORIGIN) -> EmploymentProgressRecorded:
    return EmploymentProgressRecorded(graduate_id="g1", org_code=org, stage=stage,
                                      recorded_on=dt.date(2023, 9, day), employer=employer)


def handoff(to: str = DEST, by: str = ORIGIN, handoff_id: str = "h1") -> GraduateHandedOff:
    return GraduateHandedOff(handoff_id=handoff_id, graduate_id="g1", org_code=by, to_org=to, recorded_by_user="u")


def answer(accepted: bool, by: str = DEST, handoff_id: str = "h1") -> HandoffAnswered:
    return HandoffAnswered(handoff_id=handoff_id, graduate_id="g1", org_code=by, accepted=accepted,
                           recorded_by_user="u")


def subsidy(kind: SubsidyKind = SubsidyKind.TRAINING, amount: int = 100_000, by: str = ORIGIN) -> SubsidyRequested:
    return SubsidyRequested(subsidy_id=f"SUB-{kind.value}", graduate_id="g1", org_code=by, kind=kind,
                            amount_fen=amount, payee="某培训学校", bank_card="6222020200112233445",
                            recorded_by_user="u")


def refused(act, code: str, message: str | None = None) -> None:
    with pytest.raises(Refused) as caught:
        act()
    assert caught.value.code == code
    if message is not None:
        assert caught.value.message == message


def test_the_furthest_stage_holds_and_every_report_is_history():
    stream = [REGISTERED, progress(EmploymentStage.INTERVIEW, 1), progress(EmploymentStage.EMPLOYED, 5, "合肥某厂"),
              progress(EmploymentStage.TRAINING, 9)]
    graduate = Graduate.fold(stream)
    assert (graduate.version, graduate.stage, graduate.employer) == (4, EmploymentStage.EMPLOYED, "合肥某厂")
    assert [h["stage"] for h in graduate.history] == ["interview", "employed", "training"]
    row = graduate.projection()
    assert row["status"] == "employed" and row["history"][1] == {
        "event": "employment_progress.recorded", "stage": "employed", "on": "2023-09-05", "by": ORIGIN,
        "employer": "合肥某厂"}
    assert Graduate.fold([REGISTERED]).projection()["status"] == "enrolment"


def test_outcomes_of_the_same_rank_replace_each_other_and_never_move_back():
    assert advance(EmploymentStage.JOB_SEEKING, EmploymentStage.UNEMPLOYED) is EmploymentStage.UNEMPLOYED
    assert advance(EmploymentStage.EMPLOYED, EmploymentStage.FURTHER_STUDY) is EmploymentStage.FURTHER_STUDY
    assert advance(EmploymentStage.CONTRACT, EmploymentStage.UNEMPLOYED) is EmploymentStage.CONTRACT


def test_only_the_origin_line_records_progress():
    registered = Graduate.fold([REGISTERED])
    assert registered.record(progress(EmploymentStage.EMPLOYED), TREE.on_one_line).stage is EmploymentStage.EMPLOYED
    assert registered.record(progress(EmploymentStage.EMPLOYED, org=CITY), TREE.on_one_line).version == 2
    for elsewhere in (TONGCHUAN, NEIGHBOUR):  # Shaanxi; a neighbouring county
        refused(lambda o=elsewhere: registered.record(progress(EmploymentStage.EMPLOYED, org=o), TREE.on_one_line),
                "org_out_of_scope")


def test_the_destination_records_only_after_accepting_the_handoff():
    pending = Graduate.fold([REGISTERED]).record(handoff(), TREE.on_one_line)
    assert pending.handoff.status == "pending" and pending.destination is None
    refused(lambda: pending.record(progress(EmploymentStage.INTERVIEW, org=DEST), TREE.on_one_line),
            "org_out_of_scope")
    accepted = pending.record(answer(True), TREE.on_one_line)
    assert accepted.destination == DEST
    moved = accepted.record(progress(EmploymentStage.EMPLOYED, org=DEST, employer="合肥某厂"), TREE.on_one_line)
    assert moved.stage is EmploymentStage.EMPLOYED
    assert moved.record(progress(EmploymentStage.EMPLOYED, org=ORIGIN), TREE.on_one_line).version == moved.version + 1
    refused(lambda: accepted.record(progress(EmploymentStage.EMPLOYED, org=TONGCHUAN), TREE.on_one_line), "org_out_of_scope")
    returned = pending.record(answer(False), TREE.on_one_line)
    assert returned.destination is None and returned.handoff.status == "returned"
    refused(lambda: returned.record(progress(EmploymentStage.INTERVIEW, org=DEST), TREE.on_one_line),
            "org_out_of_scope")
    again = returned.record(handoff(to=TONGCHUAN, handoff_id="h2"), TREE.on_one_line)  # handed on elsewhere
    assert again.handoff.to_org == TONGCHUAN and again.recorded().handoff_status == "pending"


def test_handoff_rules():
    fresh = Graduate.fold([REGISTERED])
    refused(lambda: fresh.record(handoff(by=DEST), TREE.on_one_line), "org_out_of_scope")  # not the origin
    refused(lambda: fresh.record(handoff(to=CITY), TREE.on_one_line), "handoff_within_line")
    pending = fresh.record(handoff(), TREE.on_one_line)
    refused(lambda: pending.record(handoff(to=TONGCHUAN, handoff_id="h2"), TREE.on_one_line), "handoff_open")
    refused(lambda: pending.record(answer(True, by=ORIGIN), TREE.on_one_line), "org_out_of_scope")
    refused(lambda: pending.record(answer(True, handoff_id="h9"), TREE.on_one_line), "handoff_not_open")
    accepted = pending.record(answer(True), TREE.on_one_line)
    refused(lambda: accepted.record(answer(False), TREE.on_one_line), "handoff_not_open")


def test_a_recommendation_needs_a_post_offered_and_is_made_once():
    graduate = Graduate.fold([REGISTERED])
    rec = GraduateRecommended(recommendation_id="r1", graduate_id="g1", org_code=ORIGIN, fair_id="f1", post_id="p1",
                              recorded_by_user="u")
    refused(lambda: graduate.record(rec, TREE.on_one_line, post=None), "post_not_found")
    once = graduate.record(rec, TREE.on_one_line, post=POST)
    assert once.recorded().recommended == ("f1/p1",)
    refused(lambda: once.record(rec, TREE.on_one_line, post=POST), "already_recommended")


def test_subsidies_follow_the_policy_cohort_and_caps_once_per_kind():
    graduate = Graduate.fold([REGISTERED])
    caps = {"cap_fen": 150_000, "cohort": (2021, 2023)}
    paid = graduate.record(subsidy(), TREE.on_one_line, **caps)
    assert paid.history[-1] == {"event": "subsidy.requested", "by": ORIGIN, "kind": "training", "amount_fen": 100_000,
                                "subsidy_id": "SUB-training"}
    approval = paid.approval(subsidy())
    assert (approval.subsidy_id, approval.amount_fen, approval.fund_sources, approval.org_code,
            approval.application_id) == ("SUB-training", 100_000, ("central",), ORIGIN, "a1")
    refused(lambda: paid.record(subsidy(amount=1), TREE.on_one_line, **caps), "subsidy_already_granted",
            "该毕业生已获training类补贴，不重复发放")
    refused(lambda: graduate.record(subsidy(amount=150_001), TREE.on_one_line, **caps), "subsidy_over_cap",
            "补贴1500.01元超过政策上限1500.00元")
    assert graduate.record(subsidy(amount=150_000), TREE.on_one_line, **caps).subsidies == {"training": "SUB-training"}
    refused(lambda: graduate.record(subsidy(), TREE.on_one_line, cap_fen=None, cohort=(2021, 2023)),
            "subsidy_not_in_policy", "本年度政策未设training类就业补贴")
    refused(lambda: graduate.record(subsidy(), TREE.on_one_line, cap_fen=150_000, cohort=(2024, 2026)),
            "outside_cohort", "2023届毕业生不在本年度阳光就业帮扶范围（2024-2026届）")
    first_year = graduate.record(subsidy(), TREE.on_one_line, cap_fen=150_000, cohort=(2023, 2025))
    assert first_year.subsidies == {"training": "SUB-training"}  # the cohort's bounds are its own
    refused(lambda: graduate.record(subsidy(by=TONGCHUAN), TREE.on_one_line, **caps), "org_out_of_scope")


def test_college_students_with_a_graduation_year_enter_the_archive_unless_before_the_cohort():
    from services.employment.domain import graduate_from
    from tests.factories import application

    def student(stage: str, year: int | None):
        return application(1, student={"stage": stage, "graduation_year": year, "school": "合肥工业大学"})

    app = student("undergraduate", 2021)
    registered = graduate_from(app, (2021, 2023))
    assert registered.model_dump(mode="json") == {
        "graduate_id": app.student_key, "application_id": app.application_id, "origin_org": "341602",
        "graduation_year": 2021, "campaign_year": 2023, "school": "合肥工业大学", "school_stage": "undergraduate",
        "category": "archived_family"}
    assert graduate_from(student("postgraduate", 2026), (2021, 2023)).graduation_year == 2026  # from enrolment on
    assert graduate_from(student("higher_vocational", 2020), None).graduation_year == 2020  # no cohort: everyone
    assert graduate_from(student("undergraduate", 2020), (2021, 2023)) is None
    assert graduate_from(student("undergraduate", None), (2021, 2023)) is None
    assert graduate_from(student("senior_secondary", 2023), (2021, 2023)) is None
