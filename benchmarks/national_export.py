"""`python -m benchmarks.national_export [--applications N]`: how long intake takes to gather the
national export's rows (GET /v1/exports/national.xlsx) for N paid applications, on tables just
filled (PostgreSQL has not analysed them yet, as in the August peak) and after ANALYZE. The query
once joined the ledger in a way the planner turned quadratic on fresh tables (9.4 s at 10,000
applications, 0.15 s once analysed); each grant is now found through the ledger view's index by
application (0.26 s, fresh or analysed). A benchmark, not a test."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

from deploy.local import local_postgres
from services.intake.national_export import paid_records
from services.shared.db import create_pool, migrate

ORGS = ["341602", "341621", "341622", "341623"]


async def measure(url: str, applications: int) -> None:
    pool = await create_pool(url, "intake")
    await migrate(pool, "intake", "services.intake")
    filing = json.dumps({"worker": {"name": "王强", "id_number": "341602198001010018"}, "household_id": "HF-1",
                         "student": {"name": "王小明", "school": "合肥工业大学", "stage": "undergraduate"},
                         "category": "hardship_worker_child", "program": "undergraduate"}, ensure_ascii=False)
    ids = [str(uuid.uuid4()) for _ in range(applications)]
    async with pool.acquire() as conn:
        await conn.executemany("INSERT INTO applications (application_id, submission_id, org_code, status, amount_fen, "
                               "paid_from) VALUES ($1, $1, $2, 'paid', 100000, 'fund:provincial:340000')",
                               [(a, ORGS[n % len(ORGS)]) for n, a in enumerate(ids)])
        await conn.executemany("INSERT INTO events (stream_id, version, event_id, type, data) "
                               "VALUES ('application-' || $1, 1, $2::uuid, 'application.submitted', $3::jsonb)",
                               [(a, str(uuid.uuid4()), filing) for a in ids])
        # a grant for each, and a second one for seven in ten (a card refused, the grant issued again)
        grants = [*ids, *ids[: applications * 7 // 10]]
        await conn.executemany("INSERT INTO ledger_view VALUES ($1, $2, 'fund:provincial:340000', $3, 100000, $4, "
                               "'grant', 'hash', '2023-08-21T00:00:00Z')",
                               [(n, str(uuid.uuid4()), f"recipient:{a}", a) for n, a in enumerate(grants, start=1)])
        for state in ("tables just filled", "after ANALYZE"):
            if state == "after ANALYZE":
                await conn.execute("ANALYZE")
            started = time.perf_counter()
            rows = await paid_records(conn, ORGS)
            print(f"{state}: {len(rows):,} rows in {time.perf_counter() - started:.2f} s")
    await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jinqiu-export-") as workdir, local_postgres(Path(workdir)) as pg:
        asyncio.run(measure(pg.url, args.applications))


if __name__ == "__main__":
    main()
