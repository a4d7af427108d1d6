"""附件7/8/9 rows from intake's own projections of events (the applications view, the ledger as
published, the graduates followed), for any union's subtree, live: the console's 报表 page.
Same row shapes as services/reports/queries.py, so the same workbooks come out."""

from __future__ import annotations

import asyncpg

ELIGIBLE = ["manual_review", "in_notice", "approved", "paid", "payment_failed", "reissued", "settled"]

DEMAND = """
    SELECT org_code, coalesce(category, 'other') AS category, count(*) AS applications,
           count(*) FILTER (WHERE status = ANY($2)) AS eligible,
           count(*) FILTER (WHERE late_filing) AS late,
           coalesce(sum(amount_fen) FILTER (WHERE status = ANY($2) AND fund_sources[1] = 'provincial'), 0)::bigint
               AS provincial_fen,
           coalesce(sum(amount_fen) FILTER (WHERE status = ANY($2) AND fund_sources[1] IS DISTINCT FROM 'provincial'),
                    0)::bigint AS other_fen
    FROM applications WHERE org_code = ANY($1) AND filed_by_org IS NOT NULL
    GROUP BY org_code, category ORDER BY org_code, category
"""
ACTIVITY = """
    SELECT org_code, coalesce(category, 'other') AS category, split_part(paid_from, ':', 2) AS fund_source,
           count(*) AS students, sum(amount_fen)::bigint AS amount_fen,
           count(*) FILTER (WHERE status = 'settled') AS settled
    FROM applications WHERE org_code = ANY($1) AND status IN ('paid', 'reissued', 'settled')
    GROUP BY org_code, category, fund_source ORDER BY org_code, category, fund_source
"""
EMPLOYMENT = """
    SELECT origin_org AS org_code, stage AS status, graduation_year, count(*) AS graduates
    FROM graduates_view WHERE origin_org = ANY($1) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def report_rows(pool: asyncpg.Pool, orgs: list[str]) -> dict[str, list[dict]]:
    return {"demand": [dict(r) for r in await pool.fetch(DEMAND, orgs, ELIGIBLE)],
            "activity": [dict(r) for r in await pool.fetch(ACTIVITY, orgs)],
            "employment": [dict(r) for r in await pool.fetch(EMPLOYMENT, orgs)]}
