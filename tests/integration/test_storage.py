"""Storage: migrations are safe when several instances of a service start at once; large values
are compressed; the event store keeps every event and queues, signed, only what is published."""

import asyncio
import datetime as dt

from contracts.envelope import Envelope
from contracts.reviews import ClockTicked, ObjectionRaised
from contracts.signing import verify
from services.shared import db, eventstore
from services.shared.authority import Authority
from services.shared.db import create_pool, migrate
from tests.factories import TEST_KEYS


async def test_concurrent_instances_apply_each_migration_once(settings):
    pools = [await create_pool(settings.database_url, "verification") for _ in range(4)]
    try:
        applied = await asyncio.gather(*(migrate(p, "verification", "services.verification") for p in pools))
        files = len(db._migration_files("services.shared") + db._migration_files("services.verification"))
        assert sorted(len(a) for a in applied) == [0, 0, 0, files]
        assert await pools[0].fetchval("SELECT count(*) FROM schema_migrations") == files
    finally:
        await asyncio.gather(*(p.close() for p in pools))



async def test_large_events_and_envelopes_are_compressed_with_lz4(settings):
    """A filing's event and envelope are above the TOAST threshold: written with lz4, not pglz."""
    pool = await create_pool(settings.database_url, "intake")
    try:
        await migrate(pool, "intake", "services.intake")
        await pool.execute("INSERT INTO events (stream_id, version, event_id, type, data) "
                           "VALUES ('probe', 1, gen_random_uuid(), 'probe', $1::jsonb)", {"form": "申请" * 2000})
        await pool.execute("INSERT INTO outbox (topic, payload) VALUES ('probe', convert_to($1, 'UTF8'))", "封" * 4000)
        assert await pool.fetchrow(
            "SELECT (SELECT pg_column_compression(data) FROM events) AS event, "
            "(SELECT pg_column_compression(payload) FROM outbox) AS envelope") == ("lz4", "lz4")
    finally:
        await pool.close()


async def test_an_append_signs_and_queues_what_is_published_and_only_keeps_the_rest(settings):
    """Each event is kept in its stream under an id; a published one is queued in an envelope that
    carries that same id, signed, with its flow; one only kept has no envelope and no signature."""
    authority = Authority.from_settings(settings, identity="verification")
    kept = ObjectionRaised(objection_id="o1", application_id="a1", org_code="341602", summary="收入不实")
    sent = ClockTicked(today=dt.date(2023, 8, 27))
    pool = await create_pool(settings.database_url, "verification")
    try:
        await migrate(pool, "verification", "services.verification")
        async with pool.acquire() as conn:
            await eventstore.append(conn, [("s-1", 1, kept), ("s-1", 2, sent)], source="/jinqiu/verification",
                                    seal=authority.seal, flows=[eventstore.Flow("corr-1", [], "341602", "cause-1")] * 2,
                                    publishes=lambda event: event is sent)
        stored = await pool.fetch("SELECT version, event_id::text, type, data FROM events ORDER BY version")
        queued = await pool.fetch("SELECT topic, key, payload FROM outbox")
    finally:
        await pool.close()
    assert [(r["version"], r["type"], r["data"]) for r in stored] == [
        (1, kept.type_name(), kept.model_dump(mode="json")), (2, sent.type_name(), sent.model_dump(mode="json"))]
    assert len(queued) == 1 and (queued[0]["topic"], queued[0]["key"]) == (sent.TOPIC.name, "campaign")
    envelope = Envelope.from_bytes(queued[0]["payload"])
    assert envelope.id == stored[1]["event_id"] != stored[0]["event_id"]
    assert (envelope.type, envelope.data, envelope.orgcode, envelope.correlationid, envelope.causationid) == (
        sent.type_name(), sent.model_dump(mode="json"), "341602", "corr-1", "cause-1")
    assert envelope.signer == "verification" and verify(envelope, TEST_KEYS["verification"])
