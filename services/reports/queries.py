"""Report figures, read from the services' own schemas (read-only), per union org."""

from __future__ import annotations

import asyncpg

DEMAND = """
    SELECT r.org_code, r.category,
           count(*) AS applications,
           count(*) FILTER (WHERE d.decision = 'approved' OR r.status IN ('in_notice', 'manual_review')) AS eligible,
           COALESCE(sum((r.entitlement ->> 'amount_fen')::bigint)
               FILTER (WHERE (r.entitlement -> 'fund_sources' ->> 0) = 'provincial'
                       AND (d.decision = 'approved' OR r.status IN ('in_notice', 'manual_review'))), 0) AS provincial_fen,
           COALESCE(sum((r.entitlement ->> 'amount_fen')::bigint)
               FILTER (WHERE (r.entitlement -> 'fund_sources' ->> 0) IS DISTINCT FROM 'provincial'
                       AND (d.decision = 'approved' OR r.status IN ('in_notice', 'manual_review'))), 0) AS other_fen
    FROM verification.reviews r LEFT JOIN verification.decisions d USING (application_id)
    GROUP BY r.org_code, r.category ORDER BY r.org_code, r.category
"""

ACTIVITY = """
    SELECT p.org_code, r.category, split_part(p.fund_account, ':', 2) AS fund_source,
           count(*) AS students, sum(p.amount_fen) AS amount_fen,
           count(*) FILTER (WHERE p.status = 'settled') AS settled
    FROM disbursement.payments p JOIN verification.reviews r USING (application_id)
    WHERE p.status IN ('instructed', 'settled')
    GROUP BY p.org_code, r.category, fund_source ORDER BY p.org_code, r.category, fund_source
"""

EMPLOYMENT = """
    SELECT origin_org AS org_code, status, graduation_year, count(*) AS graduates
    FROM employment.graduates GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""


async def report_rows(conn: asyncpg.Connection) -> dict[str, list[dict]]:
    return {name: [dict(r) for r in await conn.fetch(sql)]
            for name, sql in (("demand", DEMAND), ("activity", ACTIVITY), ("employment", EMPLOYMENT))}
