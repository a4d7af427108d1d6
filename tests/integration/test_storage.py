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
