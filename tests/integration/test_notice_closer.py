"""The end of public notice on a real PostgreSQL: the notices a tick ends are closed a chunk per
transaction, each closing caused by that tick and continuing its application's own flow, a closer
that dies between chunks leaves nothing half done or done twice, and a review with an open
objection is left on notice."""

import datetime as dt

from contracts.applications import ApplicationVerified
from contracts.envelope import Envelope
from contracts.registry import decode
from contracts.reviews import ClockTicked, ObjectionRaised
from services.shared.authority import Authority
from services.shared.db import create_pool
from services.verification.notices import NoticeCloser
from tests.factories import application
from tests.integration.services import running
from tests.integration.test_verification import registry_for, reviews, tick
from tests.kafka_helpers import as_union, eventually, publish_events


async def test_notices_close_a_chunk_per_transaction_and_a_new_closer_goes_on_where_one_died(settings, db):
    apps = [application(i) for i in range(1, 7)]
    objected = apps[0]
    objection = ObjectionRaised(objection_id="o1", application_id=objected.application_id,
                                org_code=objected.org_code, summary="群众反映家庭收入情况不实")
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(*apps) + tick(21))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.clock"), lambda n: n == 1)
        await publish_events(settings, [(a, as_union(a)) for a in apps])
        await eventually(lambda: reviews(db), lambda r: list(r.values()) == ["in_notice"] * 6)
        await publish_events(settings, [(objection, as_union(objection))])
        await eventually(lambda: db.fetchval("SELECT open_objections FROM verification.reviews "
                                             "WHERE application_id = $1", objected.application_id),
                         lambda n: n == 1)
    # The service is stopped: the tick that ends the notices is recorded as its handler records it,
    # and the closers below are the only ones at work.
    ending = as_union(ClockTicked(today=dt.date(2023, 8, 27))).model_copy(update={"correlationid": "corr-tick"})
    await db.execute("UPDATE verification.clock SET today = '2023-08-27', ticked_by = $1", ending.to_bytes())
    pool = await create_pool(settings.database_url, "verification")
    authority = Authority.from_settings(settings, identity="verification")
    try:
        first = NoticeCloser(pool, authority, "/jinqiu/verification", batch=2)
        async with pool.acquire() as conn:
            assert await first.work_once(conn) == 2
        assert await approved(db) == 2  # committed on its own, before the rest are looked at
        assert await first.pending() == 3
        second = NoticeCloser(pool, authority, "/jinqiu/verification", batch=2)  # the first died
        async with pool.acquire() as conn:
            assert [await second.work_once(conn) for _ in range(3)] == [2, 1, 0]
        assert await second.pending() == 0
    finally:
        await pool.close()

    statuses = await reviews(db)
    assert statuses.pop(objected.application_id) == "in_notice"
    assert list(statuses.values()) == ["approved"] * 5
    closings = [Envelope.from_bytes(r["payload"]) for r in await db.fetch("SELECT payload FROM verification.outbox")]
    closings = [env for env in closings if isinstance(decode(env), ApplicationVerified)]
    assert sorted(decode(env).application_id for env in closings) == sorted(statuses)  # each once
    assert {(env.causationid, env.correlationid) for env in closings} == {(ending.id, "corr-test")}


async def approved(db) -> int:
    return await db.fetchval("SELECT count(*) FROM verification.reviews WHERE status = 'approved'")
