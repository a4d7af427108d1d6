"""Migrations are safe when several instances of a service start at once."""

import asyncio

from services.shared import db
from services.shared.db import create_pool, migrate


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
