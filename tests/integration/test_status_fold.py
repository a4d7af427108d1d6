"""The status view's fold (services/intake/status_view.py, written by `apply_steps` in three
statements a run) against the statement it replaced, which moved the view one event at a time in
SQL: seeded random runs of steps (decisions of several review attempts, appeals, grants the bank
refused and grants issued again, settlements, revocations, objections and complaints opened and
closed, in any order) for a few applications, cut into consumer batches at random. The rows must
be those the old statement left, event by event, on real PostgreSQL."""

import datetime as dt
import random

from services.intake.handlers import apply_steps
from services.intake.status_view import STATUS_ORDER, Step
from services.shared.db import create_pool, migrate

# The statement replaced on 2026-11-24 (services/intake/handlers.py before it), kept as the oracle.
_ORDER = "ARRAY[" + ", ".join(f"'{s}'" for s in STATUS_ORDER) + "]::text[]"
OLD_PLACEHOLDER = """
    INSERT INTO oracle (application_id, submission_id, org_code, status)
    SELECT a, a, '', 'submitted' FROM unnest($1::text[]) AS a ORDER BY a ON CONFLICT (application_id) DO NOTHING
"""
OLD_FOLLOW = f"""
    UPDATE oracle SET status = CASE
            WHEN $2::text IS NULL OR $8::int < attempt THEN status
            WHEN $2::text = 'paid' AND status = 'payment_failed' AND NOT history @> jsonb_build_array(
                jsonb_build_object('status', 'payment_failed', 'transfer_id', $3::jsonb -> 0 ->> 'transfer_id'))
                THEN 'reissued'
            WHEN $8::int > attempt THEN $2
            WHEN array_position({_ORDER}, $2) >= array_position({_ORDER}, status) THEN $2
            ELSE status END,
        attempt = greatest(attempt, coalesce($8::int, attempt)),
        history = history || $3::jsonb, amount_fen = COALESCE($4, amount_fen), reasons = COALESCE($5, reasons),
        notice_ends_on = COALESCE($6, notice_ends_on), open_objections = greatest(open_objections + $7, 0),
        open_complaints = greatest(open_complaints + $9::int, 0),
        fund_sources = COALESCE($10::text[], fund_sources), paid_from = COALESCE($11::text, paid_from)
    WHERE application_id = $1
"""
COLUMNS = ("application_id, status, attempt, open_objections, open_complaints, history, amount_fen, reasons, "
           "notice_ends_on, fund_sources, paid_from")


def a_step(rng: random.Random) -> Step:
    app = rng.choice(["app-1", "app-2", "app-3"])
    transfer = rng.choice(["t1", "t2", "t3"])
    kind = rng.choice(["decision", "decision", "appeal", "paid", "paid", "failed", "settled", "revoked", "act"])
    if kind == "decision":
        status = rng.choice(["manual_review", "in_notice", "approved", "rejected"])
        return Step(app, status, {"amount_fen": rng.choice([None, 150_000, 200_000]),
                                  "reasons": rng.choice([None, [], ["家庭收入超标"], ["重复申报", "材料不全"]])},
                    notice_ends_on=rng.choice([None, dt.date(2023, 8, 30)]), attempt=rng.randint(1, 3),
                    fund_sources=rng.choice([None, [], ["fund:central:341602", "fund:provincial:340000"]]))
    if kind == "appeal":
        return Step(app, rng.choice(["appealed", "appeal_dismissed", None]), {"appeal_id": "ap-1"})
    if kind == "paid":
        return Step(app, "paid", {"transfer_id": transfer, "fund": "fund:central:341602"},
                    paid_from=rng.choice(["fund:central:341602", "fund:donation:x"]))
    if kind == "failed":
        return Step(app, "payment_failed", {"reasons": ["卡号错误"], "transfer_id": transfer})
    if kind in ("settled", "revoked"):
        return Step(app, kind, {"bank_reference": "b-1"} if kind == "settled" else {"reasons": ["查实不符"]})
    return Step(app, None, {"event": "act"}, objections=rng.choice([-1, 0, 1]), complaints=rng.choice([-1, 0, 1]))


def entry(step: Step, n: int) -> dict:
    return ({"status": step.status} if step.status else {}) | {**step.fields, "at": f"2023-08-21T00:00:{n:02d}"}


async def test_the_fold_leaves_the_rows_the_per_event_statement_left(settings):
    pool = await create_pool(settings.database_url, "intake")
    try:
        await migrate(pool, "intake", "services.intake")
        async with pool.acquire() as conn:
            await conn.execute("CREATE TEMP TABLE applications (LIKE intake.applications INCLUDING ALL)")
            await conn.execute("CREATE TEMP TABLE oracle (LIKE intake.applications INCLUDING ALL)")
            reissued = 0
            for seed in range(300):
                rng = random.Random(seed)
                steps = [(step, entry(step, n)) for n, step in enumerate(a_step(rng) for _ in range(rng.randint(1, 14)))]
                for step, e in steps:
                    await conn.execute(OLD_PLACEHOLDER, [step.application_id])
                    await conn.execute(OLD_FOLLOW, step.application_id, step.status, [e], step.fields.get("amount_fen"),
                                       step.fields.get("reasons"), step.notice_ends_on, step.objections, step.attempt,
                                       step.complaints, step.fund_sources, step.paid_from)
                cut = 0
                while cut < len(steps):  # consumer batches of random length
                    size = rng.randint(1, len(steps))
                    await apply_steps(conn, steps[cut:cut + size])
                    cut += size
                new = [dict(r) for r in await conn.fetch(f"SELECT {COLUMNS} FROM applications ORDER BY 1")]
                old = [dict(r) for r in await conn.fetch(f"SELECT {COLUMNS} FROM oracle ORDER BY 1")]
                assert new == old, f"seed {seed}: {[s for s, _ in steps]}"
                reissued += sum(r["status"] == "reissued" for r in new)
                await conn.execute("TRUNCATE applications, oracle")
            assert reissued > 0  # the runs reached the subtle case
    finally:
        await pool.close()
