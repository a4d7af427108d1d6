"""The review as a fold of its stream: every act checked in memory, no database, no broker."""

import datetime as dt

import pytest

from contracts.applications import ApplicationInNotice, ApplicationRejected, ApplicationVerified, GrantRevoked
from contracts.reviews import (
    AppealDecided,
    AppealFiled,
    ComplaintDecided,
    ComplaintFiled,
    ManualReviewDecided,
    ObjectionOutcome,
    ObjectionRaised,
    ObjectionResolved,
    ReviewOutcome,
    Ruling,
)
from services.shared.errors import Refused
from services.shared.orgs import load_tree
from services.shared.policy import load_book
from services.verification.domain import HouseholdFacts, review
from services.verification.review import EntitlementAssessed, Review, projection
from tests.factories import application, worker_id

TREE = load_tree()
BOOK = load_book("anhui-2023")
COUNTY, CITY, OTHER_COUNTY = "341621", "341600", "341602"
FILED = HouseholdFacts(hardship_file="open", signatories=(worker_id(1),), check_passed=True)
UNSIGNED = HouseholdFacts(hardship_file="open", check_passed=True)
DAY = dt.date(2023, 7, 1)


def opened(facts=FILED, relative=False) -> tuple[Review, list]:
    app = application(1, org_code=COUNTY, relative_of_staff=relative)
    policy = BOOK.find(app.org_code, app.campaign_year)
    events = Review(app).outcome_events(review(app, facts, policy), DAY, policy.notice_days, attempt=1)
    return Review.fold([app, *events]), events


def act(r: Review, events: list) -> Review:
    for e in events:
        r = r.apply(e)
    return r


def test_a_filing_that_passes_keeps_its_entitlement_and_goes_on_notice():
    r, events = opened()
    assert [type(e) for e in events] == [EntitlementAssessed, ApplicationInNotice]
    assert (r.status, r.version, r.attempt) == ("in_notice", 3, 1)
    assert r.notice_ends_on == DAY + dt.timedelta(days=BOOK.find(COUNTY, 2023).notice_days - 1)
    assert r.entitlement.amount_fen == events[1].amount_fen > 0


def test_a_notice_closes_only_after_its_last_day_and_without_open_objections():
    r, _ = opened()
    assert r.close_notice(r.notice_ends_on) == []
    (approved,) = r.close_notice(r.notice_ends_on + dt.timedelta(days=1))
    assert isinstance(approved, ApplicationVerified) and act(r, [approved]).status == "approved"
    objected = act(r, r.raise_objection(ObjectionRaised(objection_id="o1", application_id=r.application_id,
                                                        org_code=CITY, summary="收入不实"), r.notice_ends_on, TREE.on_one_line))
    assert objected.open_objections == 1
    assert objected.close_notice(r.notice_ends_on + dt.timedelta(days=30)) == []


def test_an_objection_dismissed_after_the_notice_ended_approves_at_once_and_an_upheld_one_rejects():
    r, _ = opened()
    r = act(r, [ObjectionRaised(objection_id="o1", application_id=r.application_id, org_code=CITY, summary="x")])
    later = r.notice_ends_on + dt.timedelta(days=2)
    resolve = dict(objection_id="o1", application_id=r.application_id, resolver_org=CITY, resolver_user="city-1")
    dismissed = r.resolve_objection(ObjectionResolved(outcome=ObjectionOutcome.DISMISSED, **resolve), later, TREE.may_act)
    assert act(r, dismissed).status == "approved"
    upheld = r.resolve_objection(ObjectionResolved(outcome=ObjectionOutcome.UPHELD, **resolve), later, TREE.may_act)
    assert act(r, upheld).status == "rejected" and upheld[-1].reasons == ("objection_upheld",)
    with pytest.raises(Refused) as again:
        act(r, upheld).resolve_objection(ObjectionResolved(outcome=ObjectionOutcome.DISMISSED, **resolve), later,
                                         TREE.may_act)
    assert again.value.code == "wrong_state"


def test_an_objection_after_the_notice_is_refused_not_dropped():
    r, _ = opened()
    approved = act(r, r.close_notice(r.notice_ends_on + dt.timedelta(days=1)))
    with pytest.raises(Refused) as refused:
        approved.raise_objection(ObjectionRaised(objection_id="o2", application_id=r.application_id, org_code=CITY,
                                                 summary="x"), r.notice_ends_on, TREE.on_one_line)
    assert refused.value.code == "wrong_state"


def test_an_objection_once_the_clock_has_passed_the_notice_is_refused_before_its_closing_is_recorded():
    """The notice is over the day after its last day, whether or not its closing has been recorded."""
    r, _ = opened()
    late = ObjectionRaised(objection_id="o3", application_id=r.application_id, org_code=CITY, summary="x")
    assert r.raise_objection(late, r.notice_ends_on, TREE.on_one_line) == [late]  # the last day still counts
    with pytest.raises(Refused) as refused:
        r.raise_objection(late, r.notice_ends_on + dt.timedelta(days=1), TREE.on_one_line)
    assert (refused.value.code, refused.value.message) == ("notice_over", f"公示已于{r.notice_ends_on}结束，不能再提出异议")


def test_the_filer_and_a_union_off_the_line_cannot_decide():
    r, _ = opened(relative=True)
    assert r.status == "manual_review"
    decide = dict(application_id=r.application_id, outcome=ReviewOutcome.APPROVE)
    for org, user, code in [(COUNTY, f"staff-{COUNTY}", "filer_cannot_decide"),
                            (OTHER_COUNTY, "x", "org_out_of_scope")]:
        with pytest.raises(Refused) as refused:
            r.decide_manually(ManualReviewDecided(reviewer_org=org, reviewer_user=user, **decide), DAY, 5, TREE.may_act)
        assert refused.value.code == code
    events = r.decide_manually(ManualReviewDecided(reviewer_org=CITY, reviewer_user="c", **decide), DAY, 5, TREE.may_act)
    assert act(r, events).status == "in_notice"


def test_an_upheld_appeal_reviews_again_on_todays_facts_as_the_next_attempt():
    r, events = opened(facts=UNSIGNED)
    assert r.status == "rejected" and "authorization_missing" in events[0].reasons
    r = act(r, r.file_appeal(AppealFiled(appeal_id="a1", application_id=r.application_id, org_code=COUNTY,
                                         recorded_by_user="u", grounds="已补签附件5"), TREE.on_one_line))
    assert r.status == "appealed"
    policy = BOOK.find(COUNTY, 2023)
    again = lambda attempt: r.outcome_events(review(r.application, FILED, policy), DAY, 5, attempt)  # noqa: E731
    ruling = dict(appeal_id="a1", application_id=r.application_id, decider_org=CITY, decider_user="c")
    upheld = r.decide_appeal(AppealDecided(ruling=Ruling.UPHELD, **ruling), TREE.may_act, again)
    assert act(r, upheld[:1]).status == "appealed"  # the ruling alone: the review again decides
    after = act(r, upheld)
    assert (after.status, after.attempt) == ("in_notice", 2)
    assert upheld[-1].attempt == 2
    dismissed = act(r, r.decide_appeal(AppealDecided(ruling=Ruling.DISMISSED, **ruling), TREE.may_act, again))
    assert (dismissed.status, dismissed.attempt) == ("rejected", 1)
    with pytest.raises(Refused) as filer:
        r.decide_appeal(AppealDecided(ruling=Ruling.UPHELD, **{**ruling, "decider_org": COUNTY,
                                                               "decider_user": f"staff-{COUNTY}"}), TREE.may_act, again)
    assert filer.value.code == "filer_cannot_decide"


def test_an_appeal_is_only_against_a_rejection():
    r, _ = opened()
    with pytest.raises(Refused) as refused:
        r.file_appeal(AppealFiled(appeal_id="a1", application_id=r.application_id, org_code=COUNTY,
                                  recorded_by_user="u", grounds="x"), TREE.on_one_line)
    assert refused.value.code == "wrong_state"


def test_an_upheld_complaint_revokes_an_approved_grant_once():
    r, _ = opened()
    r = act(r, r.close_notice(r.notice_ends_on + dt.timedelta(days=1)))
    complaint = ComplaintFiled(complaint_id="c1", application_id=r.application_id, org_code=CITY,
                               recorded_by_user="u", summary="家庭并不困难")
    r = act(r, r.file_complaint(complaint, TREE.on_one_line))
    with pytest.raises(Refused) as second:
        r.file_complaint(complaint.model_copy(update={"complaint_id": "c2"}), TREE.on_one_line)
    assert second.value.code == "complaint_open"
    events = r.decide_complaint(ComplaintDecided(complaint_id="c1", application_id=r.application_id,
                                                 ruling=Ruling.UPHELD, decider_org=CITY, decider_user="c"),
                                TREE.may_act)
    assert isinstance(events[-1], GrantRevoked)
    revoked = act(r, events)
    assert revoked.status == "revoked" and projection(revoked)["status"] == "revoked"
    with pytest.raises(Refused):
        revoked.file_complaint(complaint.model_copy(update={"complaint_id": "c3"}), TREE.on_one_line)


def test_the_fold_of_a_stream_equals_the_state_acted_into():
    r, events = opened()
    later = r.notice_ends_on + dt.timedelta(days=1)
    approved = r.close_notice(later)
    folded = Review.fold([r.application, *events, *approved])
    assert folded == act(r, approved)
    assert projection(folded)["version"] == 4
    rejected = ApplicationRejected(application_id=r.application_id, org_code=COUNTY, reasons=("x",),
                                   policy_version="v")
    assert Review.fold([r.application, rejected]).status == "rejected"


def test_the_reviews_row_is_the_projection_of_the_fold():
    r, events = opened()
    entitlement = next(e for e in events if isinstance(e, EntitlementAssessed)).verified
    assert projection(r) == {
        "application_id": r.application_id, "org_code": COUNTY, "filed_by_org": COUNTY,
        "filed_by_user": f"staff-{COUNTY}", "status": "in_notice", "version": 3, "attempt": 1,
        "category": "archived_family", "program": "enrolment_aid", "stage": "senior_secondary",
        "notice_ends_on": dt.date(2023, 7, 5), "open_objections": 0,
        "entitlement": entitlement.model_dump(mode="json")}
    assert projection(Review.fold([application(2, org_code=COUNTY)]))["entitlement"] is None
