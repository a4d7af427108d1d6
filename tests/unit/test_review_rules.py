"""The review's whole state after every kind of event, and every refusal with its exact code and
Chinese message: a fold or a rule that drifts fails here, in milliseconds."""

import datetime as dt

import pytest

from contracts.applications import ApplicationRejected, ApplicationVerified, GrantRevoked
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
from services.verification.domain import review
from services.verification.review import EntitlementAssessed, Review
from tests.unit.test_review_aggregate import BOOK, CITY, COUNTY, DAY, FILED, TREE, UNSIGNED, opened

LATER = DAY + dt.timedelta(days=30)


def state(r: Review) -> tuple:
    return (r.status, r.version, r.attempt, r.notice_ends_on, r.open_objections,
            r.entitlement.amount_fen if r.entitlement else None, dict(r.objections), dict(r.appeals),
            dict(r.complaints))


def test_the_state_after_each_event_of_a_long_stream():
    r, _ = opened(relative=True)
    amount = r.entitlement.amount_fen
    assert state(r) == ("manual_review", 3, 1, None, 0, amount, {}, {}, {})
    app = r.application_id
    r = r.apply(r.decide_manually(ManualReviewDecided(application_id=app, outcome=ReviewOutcome.APPROVE,
                                                      reviewer_org=CITY, reviewer_user="c"), DAY, 5, TREE.may_act)[0])
    assert state(r) == ("manual_review", 4, 1, None, 0, amount, {}, {}, {})  # the act itself, kept in the stream
    r = r.apply(r.decide_manually(ManualReviewDecided(application_id=app, outcome=ReviewOutcome.APPROVE,
                                                      reviewer_org=CITY, reviewer_user="c"), DAY, 5, TREE.may_act)[1])
    ends = DAY + dt.timedelta(days=4)
    assert state(r) == ("in_notice", 5, 1, ends, 0, amount, {}, {}, {})
    r = r.apply(ObjectionRaised(objection_id="o1", application_id=app, org_code=CITY, summary="x"))
    assert state(r) == ("in_notice", 6, 1, ends, 1, amount, {"o1": "open"}, {}, {})
    resolved = ObjectionResolved(objection_id="o1", application_id=app, outcome=ObjectionOutcome.UPHELD,
                                 resolver_org=CITY, resolver_user="c")
    for event in r.resolve_objection(resolved, LATER, TREE.may_act):
        r = r.apply(event)
    assert state(r) == ("rejected", 8, 1, None, 0, amount, {"o1": "upheld"}, {}, {})
    r = r.apply(AppealFiled(appeal_id="a1", application_id=app, org_code=COUNTY, recorded_by_user="u", grounds="g"))
    assert state(r) == ("appealed", 9, 1, None, 0, amount, {"o1": "upheld"}, {"a1": "open"}, {})
    policy = BOOK.find(COUNTY, 2023)
    upheld = r.decide_appeal(AppealDecided(appeal_id="a1", application_id=app, ruling=Ruling.UPHELD,
                                           decider_org=CITY, decider_user="c"), TREE.may_act,
                             lambda attempt: r.outcome_events(review(r.application.model_copy(
                                 update={"relative_of_staff": False}), FILED, policy), LATER, 5, attempt))
    assert [type(e).__name__ for e in upheld] == ["AppealDecided", "EntitlementAssessed", "ApplicationInNotice"]
    for event in upheld:
        r = r.apply(event)
    again = LATER + dt.timedelta(days=4)
    assert state(r) == ("in_notice", 12, 2, again, 0, amount, {"o1": "upheld"}, {"a1": "upheld"}, {})
    (approved,) = r.close_notice(again + dt.timedelta(days=1))
    assert isinstance(approved, ApplicationVerified) and approved.attempt == 2
    r = r.apply(approved)
    assert state(r) == ("approved", 13, 2, again, 0, amount, {"o1": "upheld"}, {"a1": "upheld"}, {})
    assert r.close_notice(again + dt.timedelta(days=9)) == []  # approved once: never again
    r = r.apply(ComplaintFiled(complaint_id="c1", application_id=app, org_code=COUNTY, recorded_by_user="u",
                               summary="s"))
    assert state(r)[-1] == {"c1": "open"}
    r = r.apply(ComplaintDecided(complaint_id="c1", application_id=app, ruling=Ruling.DISMISSED, decider_org=CITY,
                                 decider_user="c"))
    assert state(r) == ("approved", 15, 2, again, 0, amount, {"o1": "upheld"}, {"a1": "upheld"}, {"c1": "dismissed"})
    r = r.apply(GrantRevoked(application_id=app, org_code=COUNTY, complaint_id="c2", reasons=("x",),
                             decided_by_org=CITY, decided_by_user="c"))
    assert state(r)[:3] == ("revoked", 16, 2)


def test_every_outcome_is_stamped_with_its_attempt():
    r, _ = opened()
    policy = BOOK.find(COUNTY, 2023)
    passed = review(r.application, FILED, policy)
    assessed, on_notice = r.outcome_events(passed, DAY, 5, attempt=3)
    assert (type(assessed), assessed.verified.attempt, on_notice.attempt) == (EntitlementAssessed, 3, 3)
    (rejected,) = r.outcome_events(review(r.application, UNSIGNED, policy), DAY, 5, attempt=3)
    assert isinstance(rejected, ApplicationRejected) and rejected.attempt == 3
    manual = r.outcome_events(review(r.application.model_copy(update={"relative_of_staff": True}), FILED, policy),
                              DAY, 5, attempt=3)
    assert [e.attempt if hasattr(e, "attempt") else e.verified.attempt for e in manual] == [3, 3]


def test_a_manual_rejection_names_its_reason_and_keeps_the_rule():
    r, _ = opened(relative=True)
    _, rejection = r.decide_manually(ManualReviewDecided(application_id=r.application_id, outcome=ReviewOutcome.REJECT,
                                                         reviewer_org=CITY, reviewer_user="c"), DAY, 5, TREE.may_act)
    assert (rejection.reasons, rejection.rule_id, rejection.attempt) == (
        ("manual_review_rejected",), r.entitlement.rule_id, 1)
    assert rejection.policy_version == r.entitlement.policy_version and rejection.inputs == r.entitlement.inputs
    second = Review.fold([r.application, *r.outcome_events(review(r.application, FILED, BOOK.find(COUNTY, 2023)),
                                                           DAY, 5, attempt=2)])
    _, again = second.decide_manually(ManualReviewDecided(application_id=r.application_id, outcome=ReviewOutcome.REJECT,
                                                          reviewer_org=CITY, reviewer_user="c"), DAY, 5, TREE.may_act)
    assert (second.status, again.attempt) == ("manual_review", 2)  # an appeal's review again, rejected by hand


def _in_notice():
    return opened()[0]


def _approved():
    r = _in_notice()
    return r.apply(r.close_notice(LATER)[0])


REFUSALS = [
    ("objection after notice", _approved, lambda r: r.raise_objection(
        ObjectionRaised(objection_id="o", application_id=r.application_id, org_code=CITY, summary="x"),
        DAY, TREE.on_one_line), "wrong_state", "当前为“已批准”，只有“公示中”的申请可以办理此项"),
    ("objection from off the line", _in_notice, lambda r: r.raise_objection(
        ObjectionRaised(objection_id="o", application_id=r.application_id, org_code="610200", summary="x"),
        DAY, TREE.on_one_line), "org_out_of_scope", "610200无权登记341621申请的事项"),
    ("unknown objection", _in_notice, lambda r: r.resolve_objection(
        ObjectionResolved(objection_id="nope", application_id=r.application_id, outcome=ObjectionOutcome.UPHELD,
                          resolver_org=CITY, resolver_user="c"), LATER, TREE.may_act),
     "objection_not_open", "异议nope不存在或已处理"),
    ("objection resolved by the filer", _in_notice, lambda r: r.resolve_objection(
        ObjectionResolved(objection_id="o", application_id=r.application_id, outcome=ObjectionOutcome.UPHELD,
                          resolver_org=COUNTY, resolver_user=f"staff-{COUNTY}"), LATER, TREE.may_act),
     "filer_cannot_decide", "申报人不能审批或处理本人申报的申请"),
    ("same org, another user decides", _in_notice, lambda r: r.resolve_objection(
        ObjectionResolved(objection_id="o", application_id=r.application_id, outcome=ObjectionOutcome.UPHELD,
                          resolver_org=COUNTY, resolver_user="another-clerk"), LATER, TREE.may_act),
     "objection_not_open", "异议o不存在或已处理"),
    ("appeal while on notice", _in_notice, lambda r: r.file_appeal(
        AppealFiled(appeal_id="a", application_id=r.application_id, org_code=COUNTY, recorded_by_user="u",
                    grounds="g"), TREE.on_one_line), "wrong_state", "当前为“公示中”，只有“未通过”的申请可以办理此项"),
    ("unknown appeal", lambda: _appealed(), lambda r: r.decide_appeal(
        AppealDecided(appeal_id="nope", application_id=r.application_id, ruling=Ruling.UPHELD, decider_org=CITY,
                      decider_user="c"), TREE.may_act, lambda attempt: []), "appeal_not_open", "申诉nope不存在或已处理"),
    ("appeal decided off the line", lambda: _appealed(), lambda r: r.decide_appeal(
        AppealDecided(appeal_id="a", application_id=r.application_id, ruling=Ruling.UPHELD, decider_org="341602",
                      decider_user="c"), TREE.may_act, lambda attempt: []), "org_out_of_scope", "341602无权处理341621的申请"),
    ("complaint before approval", _in_notice, lambda r: r.file_complaint(
        ComplaintFiled(complaint_id="c", application_id=r.application_id, org_code=CITY, recorded_by_user="u",
                       summary="s"), TREE.on_one_line), "wrong_state", "当前为“公示中”，只有“已批准”的申请可以办理此项"),
    ("unknown complaint", _approved, lambda r: r.decide_complaint(
        ComplaintDecided(complaint_id="nope", application_id=r.application_id, ruling=Ruling.UPHELD,
                         decider_org=CITY, decider_user="c"), TREE.may_act),
     "complaint_not_open", "投诉nope不存在或已处理"),
    ("complaint decided by the filer", _approved, lambda r: r.decide_complaint(
        ComplaintDecided(complaint_id="c", application_id=r.application_id, ruling=Ruling.UPHELD,
                         decider_org=COUNTY, decider_user=f"staff-{COUNTY}"), TREE.may_act),
     "filer_cannot_decide", "申报人不能审批或处理本人申报的申请"),
    ("a second open complaint", lambda: _approved().apply(ComplaintFiled(
        complaint_id="c", application_id=_approved().application_id, org_code=CITY, recorded_by_user="u",
        summary="s")), lambda r: r.file_complaint(
        ComplaintFiled(complaint_id="c2", application_id=r.application_id, org_code=CITY, recorded_by_user="u",
                       summary="s"), TREE.on_one_line), "complaint_open", None),
]


def _appealed() -> Review:
    r, _ = opened(facts=UNSIGNED)
    return r.apply(AppealFiled(appeal_id="a", application_id=r.application_id, org_code=COUNTY,
                               recorded_by_user="u", grounds="g"))


@pytest.mark.parametrize("case, given, act, code, message", REFUSALS, ids=[c[0] for c in REFUSALS])
def test_each_refusal_has_its_code_and_message(case, given, act, code, message):
    with pytest.raises(Refused) as refused:
        act(given())
    assert refused.value.code == code
    expected = message or f"申请{given().application_id}已有待处理的投诉"
    assert refused.value.message.endswith(expected), refused.value.message
