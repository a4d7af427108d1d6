"""附件7/8/9 and the stage report's rows from intake's own projections of events (the
applications view, the ledger as published, the graduate files as employment published them, the
job fairs), for any union's subtree: live, or as of a past campaign date from the rows kept when
the clock moved on (the console's 报表 page, `jinqiu report`, GET /v1/reports)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from services.intake.clock import campaign_today
from services.reports.annexes import annex, cohort_of
from services.reports.deadlines import children, deadline_status
from services.reports.rollup import roll_up_all
from services.shared.orgs import OrgTree
from services.shared.policy import PolicyBook

ELIGIBLE = ["manual_review", "in_notice", "approved", "paid", "payment_failed", "reissued", "settled"]
PLACED = ["contract", "employed", "further_study", "grassroots"]

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
# What each union did for graduates: as origin (handed off), as destination (received, placed),
# fairs it held, and subsidies its funds paid (subsidy entries of the ledger not reversed).
SERVICES = """
    WITH origin AS (
        SELECT origin_org AS org_code, count(*) FILTER (WHERE handoff_to IS NOT NULL) AS handed_off,
               sum(cardinality(recommended)) FILTER (WHERE handoff_status IS DISTINCT FROM 'accepted')
                   AS recommendations,
               count(*) FILTER (WHERE history @> '[{"stage": "internship"}]') AS internships,
               count(*) FILTER (WHERE history @> '[{"stage": "training"}]' OR 'training' = ANY(subsidies)) AS trainings,
               count(*) FILTER (WHERE cardinality(supports) > 0) AS supported
        FROM graduates_view WHERE origin_org = ANY($1) GROUP BY 1),
    destination AS (
        SELECT handoff_to AS org_code, count(*) AS received, count(*) FILTER (WHERE stage = ANY($2)) AS received_placed,
               sum(cardinality(recommended)) AS recommendations
        FROM graduates_view WHERE handoff_status = 'accepted' AND handoff_to = ANY($1) GROUP BY 1),
    fairs AS (
        SELECT org_code, count(*) AS fairs, sum(openings) AS posts FROM job_fairs_view WHERE org_code = ANY($1)
        GROUP BY 1),
    subsidies AS (
        SELECT split_part(s.debit_account, ':', 3) AS org_code, count(*) AS subsidies, sum(s.amount_fen) AS subsidy_fen
        FROM ledger_view s WHERE s.kind = 'subsidy' AND split_part(s.debit_account, ':', 3) = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM ledger_view r WHERE r.kind = 'reversal' AND r.application_id = s.application_id)
        GROUP BY 1)
    SELECT org_code, coalesce(o.handed_off, 0) AS handed_off, coalesce(d.received, 0) AS received,
           coalesce(d.received_placed, 0) AS received_placed, coalesce(f.fairs, 0) AS fairs,
           coalesce(f.posts, 0) AS posts,
           coalesce(o.recommendations, 0) + coalesce(d.recommendations, 0) AS recommendations,
           coalesce(o.internships, 0) AS internships, coalesce(o.trainings, 0) AS trainings,
           coalesce(o.supported, 0) AS supported, coalesce(s.subsidies, 0) AS subsidies,
           coalesce(s.subsidy_fen, 0)::bigint AS subsidy_fen
    FROM origin o FULL JOIN destination d USING (org_code) FULL JOIN fairs f USING (org_code)
         FULL JOIN subsidies s USING (org_code) ORDER BY org_code
"""


async def live_rows(conn: asyncpg.Connection | asyncpg.Pool, orgs: list[str]) -> dict[str, list[dict]]:
    return {"demand": [dict(r) for r in await conn.fetch(DEMAND, orgs, ELIGIBLE)],
            "activity": [dict(r) for r in await conn.fetch(ACTIVITY, orgs)],
            "employment": [dict(r) for r in await conn.fetch(EMPLOYMENT, orgs)],
            "services": [dict(r) for r in await conn.fetch(SERVICES, orgs, PLACED)]}


async def report_rows(conn: asyncpg.Connection | asyncpg.Pool, orgs: list[str],
                      as_of: dt.date | None = None) -> dict[str, list[dict]]:
    """The rows of every report for these orgs: live, or as they stood at the end of campaign
    day `as_of` (kept when the clock moved past it; before the first day kept, nothing)."""
    today = await campaign_today(conn)
    if as_of is None or today is None or as_of >= today:
        return await live_rows(conn, orgs)
    kept = await conn.fetchval("SELECT rows FROM report_snapshots WHERE day <= $1 ORDER BY day DESC LIMIT 1", as_of)
    wanted = set(orgs)
    return {name: [r for r in rows if r["org_code"] in wanted] for name, rows in (kept or {}).items()} or {
        name: [] for name in ("demand", "activity", "employment", "services")}


async def keep_day(conn: asyncpg.Connection, day: dt.date) -> None:
    """Keep every org's rows as they stand at the end of campaign day `day`."""
    rows = await live_rows(conn, [r["org_code"] for r in await conn.fetch(
        "SELECT DISTINCT org_code FROM applications UNION SELECT origin_org FROM graduates_view "
        "UNION SELECT handoff_to FROM graduates_view WHERE handoff_to IS NOT NULL "
        "UNION SELECT org_code FROM job_fairs_view "
        "UNION SELECT split_part(debit_account, ':', 3) FROM ledger_view WHERE kind = 'subsidy'")])
    await conn.execute("INSERT INTO report_snapshots VALUES ($1, $2::jsonb) ON CONFLICT (day) DO UPDATE "
                       "SET rows = EXCLUDED.rows", day, rows)


async def deadlines_below(conn, tree: OrgTree, book: PolicyBook, top: str, year: int,
                          as_of: dt.date | None = None) -> list[dict]:
    """The calendar's reports of the unions directly below `top`: sent, 逾期 or not yet due, on
    campaign day `as_of` (default: today as intake heard it)."""
    policy = book.find(top, year)
    if policy is None:
        return []
    today = as_of or await campaign_today(conn)
    unions = children(tree, top)
    sent = {(r["org_code"], r["deadline"]): r["submitted_on"] for r in await conn.fetch(
        "SELECT org_code, deadline, submitted_on FROM report_submissions WHERE org_code = ANY($1) "
        "AND campaign_year = $2 AND ($3::date IS NULL OR submitted_on <= $3)", unions, year, as_of)}
    return deadline_status(policy, unions, sent, today)


async def report_workbook(conn, tree: OrgTree, book: PolicyBook, name: str, top: str, year: int,
                          as_of: dt.date | None = None) -> bytes:
    """Report `name` of `top`'s subtree, rolled up to the unions below it, live or as of a day."""
    rows = await report_rows(conn, [c for c in tree.orgs if tree.may_act(top, c)], as_of)
    deadlines = await deadlines_below(conn, tree, book, top, year, as_of) if name == "stage" else None
    return annex(name, roll_up_all(rows, tree, top), tree, year, top, as_of=as_of.isoformat() if as_of else None,
                 cohort=cohort_of(book, top, year), deadlines=deadlines)
