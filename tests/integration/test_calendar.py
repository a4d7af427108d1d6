"""The campaign calendar is policy data: after the filing window (Anhui: 8月20日), intake refuses
a filing with a Chinese message and stores nothing; before it, the filing is taken."""

import httpx

from services.intake.api import create_api
from tests.factories import auth, form
from tests.integration.services import running
from tests.integration.test_verification import tick
from tests.kafka_helpers import eventually, publish_events


async def test_a_filing_after_the_window_is_refused_and_one_within_it_taken(settings, db):
    async with running(settings, "intake") as (intake,):
        api = create_api(lambda: intake.pool, intake.authority)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://intake") as client:
            await publish_events(settings, tick(20))
            await eventually(lambda: db.fetchval("SELECT today::text FROM intake.campaign_clock"),
                             lambda d: d == "2023-08-20")
            on_the_last_day = await client.post("/v1/applications", json=form(1), headers=auth())
            await publish_events(settings, tick(21))
            await eventually(lambda: db.fetchval("SELECT today::text FROM intake.campaign_clock"),
                             lambda d: d == "2023-08-21")
            a_day_late = await client.post("/v1/applications", json=form(2), headers=auth())
    assert on_the_last_day.status_code == 201
    assert a_day_late.status_code == 409
    error = a_day_late.json()["errors"][0]
    assert error["code"] == "filing_closed" and "2023-08-20截止" in error["message"]
    assert await db.fetchval("SELECT count(*) FROM intake.applications") == 1
    assert await db.fetchval("SELECT count(*) FROM intake.events") == 1
