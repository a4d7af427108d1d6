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
    assert moved.stage is EmploymentStage.EMPLOYED and moved.recorded().employer == "合肥某厂"
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
    refused(lambda: fresh.record(handoff(by=DEST), TREE.on_one_line), "org_out_of_scope",  # not the origin
            "只有生源地工会可以转介该毕业生（生源地为341602）")
    refused(lambda: fresh.record(handoff(to=CITY), TREE.on_one_line), "handoff_within_line",
            "意向工作地工会与生源地工会属同一条线，无需转介")
    pending = fresh.record(handoff(), TREE.on_one_line)
    refused(lambda: pending.record(handoff(to=TONGCHUAN, handoff_id="h2"), TREE.on_one_line), "handoff_open",
            "该毕业生已转介至610100，请等待对方答复或先退回")
    refused(lambda: pending.record(answer(True, by=ORIGIN), TREE.on_one_line), "org_out_of_scope",
            "只有意向工作地工会（610100）可以接收或退回该转介")
    refused(lambda: pending.record(answer(True, handoff_id="h9"), TREE.on_one_line), "handoff_not_open",
            "转介h9不存在或已答复")
    accepted = pending.record(answer(True), TREE.on_one_line)
    refused(lambda: accepted.record(answer(False), TREE.on_one_line), "handoff_not_open", "转介h1不存在或已答复")
    refused(lambda: accepted.record(handoff(to=TONGCHUAN, handoff_id="h2"), TREE.on_one_line), "handoff_open")
    refused(lambda: accepted.record(progress(EmploymentStage.EMPLOYED, org=TONGCHUAN), TREE.on_one_line),
            "org_out_of_scope", "610200不是该毕业生的生源地工会或已接收的意向工作地工会（生源地为341602、意向工作地为610100），无权记录")
    refused(lambda: fresh.record(progress(EmploymentStage.EMPLOYED, org=TONGCHUAN), TREE.on_one_line),
            "org_out_of_scope", "610200不是该毕业生的生源地工会或已接收的意向工作地工会（生源地为341602），无权记录")


def test_a_recommendation_needs_a_post_offered_and_is_made_once():
    graduate = Graduate.fold([REGISTERED])
    rec = GraduateRecommended(recommendation_id="r1", graduate_id="g1", org_code=ORIGIN, fair_id="f1", post_id="p1",
                              recorded_by_user="u")
    refused(lambda: graduate.record(rec, TREE.on_one_line, post=None), "post_not_found", "招聘会f1没有岗位p1")
    once = graduate.record(rec, TREE.on_one_line, post=POST)
    assert once.recorded().recommended == ("f1/p1",)
    refused(lambda: once.record(rec, TREE.on_one_line, post=POST), "already_recommended", "已向该岗位推荐过该毕业生")
    other_post = rec.model_copy(update={"post_id": "p2"})
    assert once.record(other_post, TREE.on_one_line, post=POST).recorded().recommended == ("f1/p1", "f1/p2")


def test_subsidies_follow_the_policy_cohort_and_caps_once_per_kind():
    graduate = Graduate.fold([REGISTERED])
    caps = {"cap_fen": 150_000, "cohort": (2021, 2023)}
    paid = graduate.record(subsidy(), TREE.on_one_line, **caps)
    assert paid.history[-1] == {"event": "subsidy.requested", "by": ORIGIN, "kind": "training", "amount_fen": 100_000,
                                "subsidy_id": "SUB-training"}
    approval = paid.approval(subsidy())
    in_the_stream = Graduate.fold([REGISTERED, subsidy(), approval, paid.recorded()])  # as employment stores them
    assert (in_the_stream.version, in_the_stream.history) == (4, paid.history)  # the order and the file: no acts
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


def test_the_file_as_published_and_as_viewed_after_a_whole_journey():
    """Every act's history entry, and the file as employment publishes it (GraduateRecorded) and
    keeps it (the `graduates` row), after profiling, a handoff accepted, support, a
    recommendation, a subsidy and a grassroots outcome recorded by the destination."""
    from contracts.employment import AssistanceNeed, GraduateProfiled, GrassrootsProgram, SupportArranged, SupportKind

    profiled = GraduateProfiled(graduate_id="g1", org_code=ORIGIN, recorded_by_user="u", major="机械",
                                intended_city="合肥", needs=(AssistanceNeed.JOB_RECOMMENDATION,))
    support = SupportArranged(support_id="s1", graduate_id="g1", org_code=ORIGIN, kind=SupportKind.PAIRING,
                              partner="劳模张三", recorded_by_user="u")
    recommended = GraduateRecommended(recommendation_id="r1", graduate_id="g1", org_code=DEST, fair_id="f1",
                                      post_id="p1", recorded_by_user="u")
    grassroots = EmploymentProgressRecorded(graduate_id="g1", org_code=DEST, stage=EmploymentStage.GRASSROOTS,
                                            recorded_on=dt.date(2023, 9, 9), program=GrassrootsProgram.WESTERN)
    g = Graduate.fold([REGISTERED])
    for act, extra in [(profiled, {}), (handoff(), {}), (answer(True), {}), (support, {}),
                       (recommended, {"post": POST}), (subsidy(), {"cap_fen": 150_000, "cohort": (2021, 2023)}),
                       (grassroots, {})]:
        g = g.record(act, TREE.on_one_line, **extra)
    assert g.history == (
        {"event": "graduate.profiled", "by": ORIGIN},
        {"event": "graduate.handed_off", "by": ORIGIN, "handoff_id": "h1", "to": DEST},
        {"event": "handoff.answered", "by": DEST, "handoff_id": "h1", "accepted": True},
        {"event": "support.arranged", "by": ORIGIN, "kind": "pairing", "partner": "劳模张三"},
        {"event": "graduate.recommended", "by": DEST, "fair_id": "f1", "post_id": "p1"},
        {"event": "subsidy.requested", "by": ORIGIN, "kind": "training", "amount_fen": 100_000,
         "subsidy_id": "SUB-training"},
        {"event": "employment_progress.recorded", "by": DEST, "stage": "grassroots", "on": "2023-09-09",
         "employer": None})
    assert g.recorded().model_dump(mode="json") == {
        "graduate_id": "g1", "version": 8, "origin_org": ORIGIN, "graduation_year": 2023, "stage": "grassroots",
        "employer": None, "program": "western", "handoff_id": "h1", "handoff_to": DEST, "handoff_status": "accepted",
        "recommended": ["f1/p1"], "supports": ["pairing"], "subsidies": ["training"], "act": g.history[-1]}
    assert g.projection() == {
        "graduate_id": "g1", "application_id": "a1", "origin_org": ORIGIN, "graduation_year": 2023,
        "status": "grassroots", "employer": None, "program": "western", "destination_org": DEST,
        "profile": {"major": "机械", "major_direction": "", "family_situation": "", "intended_city": "合肥",
                    "intended_org": None, "intended_industry": "", "needs": ["job_recommendation"]},
        "handoff": {"handoff_id": "h1", "to_org": DEST, "status": "accepted"}, "recommendations": 1,
        "supports": ["pairing"], "subsidies": {"training": "SUB-training"}, "history": list(g.history)}
    unregistered = Graduate.fold([REGISTERED]).recorded().model_dump(mode="json")
    assert (unregistered["handoff_id"], unregistered["handoff_to"], unregistered["handoff_status"],
            unregistered["act"]) == (None, None, None, {})
    refused(lambda: g.record(REGISTERED, TREE.on_one_line), "unexpected_event", "graduate.registered不是毕业生档案的记录")
