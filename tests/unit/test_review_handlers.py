"""The review acts through the repository port, in memory: what is stored, what is published,
and that a refused act stores nothing."""

import datetime as dt

import pytest

from contracts.applications import ApplicationInNotice, ApplicationVerified, GrantRevoked
from contracts.reviews import ComplaintDecided, ComplaintFiled, ObjectionRaised, Ruling
from services.shared.errors import Refused
from services.shared.eventstore import ConcurrencyError
from services.verification.domain import review
from services.verification.handlers import act_on
from services.verification.review import EntitlementAssessed, Review
from tests.factories import application
from tests.fakes import FakeReviews
from tests.unit.test_review_aggregate import BOOK, CITY, COUNTY, DAY, FILED, TREE


async def filed(reviews: FakeReviews):
    app = application(1, org_code=COUNTY)
    policy = BOOK.find(app.org_code, app.campaign_year)
    await reviews.save(None, [app, *Review(app).outcome_events(review(app, FILED, policy), DAY, 5, attempt=1)])
    return app


async def test_the_entitlement_is_stored_but_only_the_notice_is_published():
    reviews = FakeReviews()
    app = await filed(reviews)
    assert [type(e) for e in reviews.streams[app.application_id][1:]] == [EntitlementAssessed, ApplicationInNotice]
    assert [type(e) for e in reviews.published] == [ApplicationInNotice]


async def test_a_complaint_upheld_publishes_the_revocation_after_approval():
    reviews = FakeReviews()
    app = await filed(reviews)
    later = DAY + dt.timedelta(days=10)
    await act_on(reviews, app.application_id, lambda r: r.close_notice(later))
    await act_on(reviews, app.application_id, lambda r: r.file_complaint(
        ComplaintFiled(complaint_id="c1", application_id=app.application_id, org_code=COUNTY,
                       recorded_by_user="u", summary="不实"), TREE.on_one_line))
    await act_on(reviews, app.application_id, lambda r: r.decide_complaint(
        ComplaintDecided(complaint_id="c1", application_id=app.application_id, ruling=Ruling.UPHELD,
                         decider_org=CITY, decider_user="c"), TREE.may_act))
    assert [type(e) for e in reviews.published] == [ApplicationInNotice, ApplicationVerified, GrantRevoked]
    assert (await reviews.get(app.application_id)).status == "revoked"


async def test_a_refused_act_stores_nothing_and_a_stale_save_is_a_conflict():
    reviews = FakeReviews()
    app = await filed(reviews)
    before = list(reviews.streams[app.application_id])
    with pytest.raises(Refused):
        await act_on(reviews, app.application_id, lambda r: r.raise_objection(
            ObjectionRaised(objection_id="o1", application_id=app.application_id, org_code="610200", summary="x"),
            DAY, TREE.on_one_line))
    assert reviews.streams[app.application_id] == before
    stale = await reviews.get(app.application_id)
    await act_on(reviews, app.application_id, lambda r: r.close_notice(DAY + dt.timedelta(days=10)))
    with pytest.raises(ConcurrencyError):
        await reviews.save(stale, stale.close_notice(DAY + dt.timedelta(days=10)))
