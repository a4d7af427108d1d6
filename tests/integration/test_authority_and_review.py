"""Who may act: orgs outside their subtree are refused over HTTP and Kafka and nothing changes;
filers cannot decide their own applications; objections and manual review end as they should."""

import datetime as dt

import httpx

from contracts.households import HardshipFileOpened, HardshipKind
from contracts.signing import sign
from contracts.topics import DEAD_LETTER, DEAD_LETTER_REASON_HEADER
from services.intake.api import create_api
from tests.factories import TEST_KEYS, application, auth, form
from tests.integration.services import running
from tests.integration.test_verification import decisions, registry_for, reviews, tick
from tests.kafka_helpers import as_union, eventually, publish_events, read_topic


def client_for(runtime) -> httpx.AsyncClient:
    api = create_api(lambda: runtime.pool, runtime.authority)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://intake")


async def test_an_org_filing_outside_its_subtree_is_refused_over_http(settings, db):
    async with running(settings, "intake") as (intake,), client_for(intake) as client:
        other_county = await client.post("/v1/applications", json=form(1, org_code="341621"), headers=auth("341602"))
        no_token = await client.post("/v1/applications", json=form(2))
        city_for_county = await client.post("/v1/applications", json=form(3, org_code="341621"), headers=auth("341600"))
        shaanxi_in_anhui = await client.post("/v1/applications", json=form(4), headers=auth("610000"))
        peek = await client.get(f"/v1/applications/{city_for_county.json()['application_id']}", headers=auth("341602"))
    assert other_county.status_code == 403 and other_county.json()["errors"][0]["code"] == "org_out_of_scope"
    assert "谯城区总工会" in other_county.json()["errors"][0]["message"]
    assert no_token.status_code == 401 and no_token.json()["errors"][0]["code"] == "unauthenticated"
    assert city_for_county.status_code == 201
    assert shaanxi_in_anhui.status_code == 403
    assert peek.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM intake.applications") == 1
    assert await db.fetchval("SELECT count(*) FROM intake.outbox") + await db.fetchval(
        "SELECT count(*) FROM intake.events") <= 2  # only the city's filing, relayed or not


async def test_an_org_publishing_outside_its_subtree_is_refused_over_kafka(settings, db):
    app = application(1, org_code="341621")
    hardship = HardshipFileOpened(household_id="hh-x", org_code="341621", kind=HardshipKind.WORKER,
                                  worker_id_number=app.worker.id_number, opened_on=dt.date(2022, 1, 1))
    async with running(settings, "verification"):
        await publish_events(settings, [(app, as_union(app, "341602")), (hardship, as_union(hardship, "341622"))])
        dead = await eventually(lambda: read_topic(settings, DEAD_LETTER, idle=0.5), lambda r: len(r) == 2)
    reasons = sorted(dict(r.headers)[DEAD_LETTER_REASON_HEADER].decode().split(":")[0] for r in dead)
    assert reasons == ["org_out_of_scope", "org_out_of_scope"]
    assert await db.fetchval("SELECT count(*) FROM verification.reviews") == 0
    assert await db.fetchval("SELECT count(*) FROM verification.hardship_files") == 0


async def test_an_unsigned_forged_or_altered_event_is_refused(settings, db):
    good, forged, unsigned, altered = application(1), application(2), application(3), application(4)
    tampered = as_union(altered).model_copy(update={"data": {**as_union(altered).data, "tuition_invoice_fen": 1}})
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(good, forged, altered))
        await publish_events(settings, registry_for(unsigned, signed_by_union=False))  # unsigned registry: refused
        await publish_events(settings, [
            (good, as_union(good)),
            (forged, sign(as_union(forged).model_copy(update={"signature": None}), "341602",
                          TEST_KEYS["341621"])),  # claims 341602, signed with another org's key
            (unsigned, as_union(unsigned, signed=False)),
            (altered, tampered),  # signed, then its data changed
        ])
        found = await eventually(lambda: reviews(db), lambda r: good.application_id in r)
        dead = await eventually(lambda: read_topic(settings, DEAD_LETTER, idle=0.5), lambda r: len(r) == 3 + 2)
    assert set(found) == {good.application_id}
    assert {dict(r.headers)[DEAD_LETTER_REASON_HEADER].decode().split(":")[0] for r in dead} == {"signature_invalid"}


async def test_objections_and_manual_review_run_their_course(settings, db):
    upheld, dismissed, relative = application(1), application(2), application(3, relative_of_staff=True)
    apps = (upheld, dismissed, relative)
    async with running(settings, "intake", "verification") as (intake, _), client_for(intake) as client:
        city = auth("341600")
        await publish_events(settings, registry_for(*apps) + tick(21))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.clock"), lambda n: n == 1)
        await publish_events(settings, [(a, as_union(a)) for a in apps])
        await eventually(lambda: reviews(db), lambda r: len(r) == 3)
        queue = await eventually(lambda: client.get("/v1/review-queue", headers=city),
                                 lambda r: len(r.json()["items"]) == 1)
        assert queue.json()["items"][0]["application_id"] == relative.application_id
        by_filer = await client.post(f"/v1/applications/{relative.application_id}/review",
                                     json={"outcome": "approve"}, headers=auth("341602"))
        assert by_filer.status_code == 403 and by_filer.json()["errors"][0]["code"] == "filer_cannot_decide"
        approved = await client.post(f"/v1/applications/{relative.application_id}/review",
                                     json={"outcome": "approve", "note": "经集体研究"}, headers=city)
        assert approved.status_code == 201
        objections = {}
        for app in (upheld, dismissed):
            await eventually(lambda app=app: client.get(f"/v1/applications/{app.application_id}", headers=city),
                             lambda r: r.json()["status"] == "in_notice")
            raised = await client.post(f"/v1/applications/{app.application_id}/objections",
                                       json={"summary": "收入情况存疑"}, headers=auth("341602"))
            objections[app.application_id] = raised.json()["id"]
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.objections"), lambda n: n == 2)
        waiting = await eventually(lambda: client.get("/v1/review-queue", headers=city),
                                   lambda r: len(r.json()["items"]) == 2)
        assert {i["application_id"] for i in waiting.json()["items"]} == {upheld.application_id, dismissed.application_id}
        for app, outcome in ((upheld, "upheld"), (dismissed, "dismissed")):
            resolved = await client.post(
                f"/v1/applications/{app.application_id}/objections/{objections[app.application_id]}/resolution",
                json={"outcome": outcome}, headers=city)
            assert resolved.status_code == 201
        await eventually(lambda: decisions(db), lambda d: len(d) == 1)  # upheld: rejected at once
        await publish_events(settings, tick(27))
        final = await eventually(lambda: decisions(db), lambda d: len(d) == 3)
        history = await eventually(lambda: client.get(f"/v1/applications/{upheld.application_id}", headers=city),
                                   lambda r: r.json()["status"] == "rejected")
        await eventually(lambda: client.get(f"/v1/applications/{dismissed.application_id}", headers=city),
                         lambda r: r.json()["status"] == "approved")
        too_late = await client.post(f"/v1/applications/{dismissed.application_id}/objections",
                                     json={"summary": "公示结束后才提出"}, headers=auth("341602"))
    assert too_late.status_code == 409 and too_late.json()["errors"][0]["code"] == "wrong_state"
    assert "公示中" in too_late.json()["errors"][0]["message"]
    assert final == {upheld.application_id: "rejected", dismissed.application_id: "approved",
                     relative.application_id: "approved"}
    events = [h.get("event") or h.get("status") for h in history.json()["history"]]
    assert events == ["submitted", "in_notice", "objection_raised", "objection_resolved", "rejected"]
    assert history.json()["reasons"] == ["objection_upheld"]


async def test_an_objection_after_the_notice_is_refused_at_once_before_its_closing_reaches_intake(settings, db):
    """The day after a notice's last day it is over: intake refuses an objection with 409 on the
    campaign date alone, while its view still shows the notice (verification, which closes it, is
    down here), and records nothing."""
    app = application(1)
    async with running(settings, "intake") as (intake,), client_for(intake) as client:
        async with running(settings, "verification"):
            await publish_events(settings, registry_for(app) + tick(21))
            await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.clock"), lambda n: n == 1)
            await publish_events(settings, [(app, as_union(app))])
            await eventually(lambda: client.get(f"/v1/applications/{app.application_id}", headers=auth("341600")),
                             lambda r: r.status_code == 200 and r.json()["status"] == "in_notice")
        on_the_last_day = await client.post(f"/v1/applications/{app.application_id}/objections",
                                            json={"summary": "公示最后一天提出"}, headers=auth("341602"))
        await publish_events(settings, tick(26))
        await eventually(lambda: db.fetchval("SELECT today FROM intake.campaign_clock"),
                         lambda today: today == dt.date(2023, 8, 26))
        too_late = await client.post(f"/v1/applications/{app.application_id}/objections",
                                     json={"summary": "公示结束后才提出"}, headers=auth("341602"))
        view = await client.get(f"/v1/applications/{app.application_id}", headers=auth("341600"))
    assert on_the_last_day.status_code == 201 and view.json()["status"] == "in_notice"
    assert view.json()["notice_ends_on"] == "2023-08-25"
    assert too_late.status_code == 409
    assert too_late.json()["errors"][0] == {**too_late.json()["errors"][0], "code": "notice_over",
                                            "message": "公示已于2023-08-25结束，不能再提出异议"}
    acts = await db.fetch("SELECT type FROM intake.events WHERE stream_id LIKE 'act-%'")
    assert [r["type"] for r in acts] == ["cn.jinqiu.objection.raised.v1"]  # the one in time
