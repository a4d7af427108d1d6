"""Postings from many connections at once, chained by the sequencer, on the real PostgreSQL:
the chain is gap-free, every posting is in it once, it replays without an overdraft, and the
accounts' totals are the chain's fold. Money is moved the way disbursement moves it (funds
allocated, grants paid from them when the balance read under the lock allows it, grants
settled or reversed), with pauses inside the transactions so that postings overlap and commit
out of id order."""

import asyncio
import random
from collections import defaultdict

import asyncpg

from contracts.envelope import Envelope
from contracts.ledger import TransferKind
from services.audit.verify import verify_lines
from services.disbursement import ledger
from services.disbursement.domain import SETTLED_ACCOUNT, Transfer
from services.disbursement.sequencer import LedgerSequencer
from services.reports.outputs import write_ledger
from services.shared.authority import Authority
from services.shared.db import create_pool, migrate
from tests.kafka_helpers import ledger_chained

FUNDS = ("fund:central:341602", "fund:central:341621", "fund:central:341600")
CAUSE = Envelope(id="00000000-0000-4000-8000-000000000001", source="/test", type="cn.jinqiu.test", data={})


async def _allocate(conn: asyncpg.Connection, rng: random.Random) -> list[Transfer]:
    fund = rng.choice(FUNDS)
    await ledger.balances(conn, [fund])
    return [Transfer("budget:central:340000", fund, rng.randint(1, 5) * 1000, TransferKind.ALLOCATION)]


async def _grant(conn: asyncpg.Connection, rng: random.Random, granted: list[Transfer]) -> list[Transfer]:
    fund = rng.choice(FUNDS)
    amount = rng.randint(1, 4) * 1000
    if (await ledger.balances(conn, [fund]))[fund] < amount:
        return []
    app = f"app-{rng.getrandbits(40):x}"
    grant = Transfer(fund, f"recipient:{app}", amount, TransferKind.GRANT, application_id=app)
    granted.append(grant)
    return [grant]


def _answer(rng: random.Random, granted: list[Transfer]) -> list[Transfer]:
    """The bank's answer to a grant whose posting has committed: settled, or refused and reversed."""
    if not granted:
        return []
    g = granted.pop(rng.randrange(len(granted)))
    if rng.random() < 0.8:
        return [Transfer(g.credit_account, SETTLED_ACCOUNT, g.amount_fen, TransferKind.SETTLEMENT,
                         application_id=g.application_id)]
    return [Transfer(g.credit_account, g.debit_account, g.amount_fen, TransferKind.REVERSAL,
                     application_id=g.application_id, reverses=g.transfer_id)]


async def _clerk(pool: asyncpg.Pool, seed: int, committed: list[Transfer], answerable: list[Transfer]) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        granted: list[Transfer] = []
        async with pool.acquire() as conn, conn.transaction():
            choice = rng.random()
            if choice < 0.3:
                transfers = await _allocate(conn, rng)
            elif choice < 0.7:
                transfers = await _grant(conn, rng, granted)
            else:
                transfers = _answer(rng, answerable)
            if transfers:
                await ledger.post(conn, transfers, CAUSE)
            await asyncio.sleep(rng.random() * 0.01)  # hold the locks a while: others queue or pass by
        committed += transfers
        answerable += granted  # the bank hears of a grant only once its posting committed


async def test_concurrent_postings_chain_without_gap_or_overdraft(settings, db, tmp_path):
    pool = await create_pool(settings.database_url, "disbursement", size=10)
    await migrate(pool, "disbursement", "services.disbursement")
    authority = Authority.from_settings(settings, identity="disbursement")
    sequencer = LedgerSequencer(pool, authority.seal, batch=7)  # small batches: many chaining rounds
    committed: list[Transfer] = []
    answerable: list[Transfer] = []
    # first a backlog (the sequencer was down: dependent postings wait side by side), then more
    # postings while the sequencer chains
    await asyncio.gather(*(_clerk(pool, seed, committed, answerable) for seed in range(8)))
    chaining = asyncio.create_task(sequencer.run())
    try:
        await asyncio.gather(*(_clerk(pool, seed, committed, answerable) for seed in range(8, 16)))
        await ledger_chained(db)
    finally:
        chaining.cancel()
        await asyncio.gather(chaining, return_exceptions=True)
        await pool.close()

    await write_ledger(db, tmp_path / "ledger.jsonl")
    report = verify_lines((tmp_path / "ledger.jsonl").read_text().splitlines())
    assert report.passed, report.violations
    assert report.entries == len(committed) > 300
    chained = {r["transfer_id"] for r in await db.fetch("SELECT transfer_id::text FROM disbursement.ledger_entries")}
    assert chained == {t.transfer_id for t in committed}
    folded: dict[str, int] = defaultdict(int)
    for t in committed:
        folded[t.credit_account] += t.amount_fen
        folded[t.debit_account] -= t.amount_fen
    live = {r["account"]: r["balance"] for r in await db.fetch(
        "SELECT account, credits_fen - debits_fen AS balance FROM disbursement.accounts")}
    assert {a: b for a, b in live.items() if b} == {a: b for a, b in folded.items() if b}
    assert live[SETTLED_ACCOUNT] > 0 and all(live[f] >= 0 for f in FUNDS)


async def test_a_posting_committed_late_is_chained_after_those_that_passed_it(settings, db, tmp_path):
    pool = await create_pool(settings.database_url, "disbursement", size=4)
    await migrate(pool, "disbursement", "services.disbursement")
    sequencer = LedgerSequencer(pool, Authority.from_settings(settings, identity="disbursement").seal)
    late = Transfer("budget:central:340000", FUNDS[0], 1000, TransferKind.ALLOCATION)
    early = Transfer("budget:central:340000", FUNDS[1], 2000, TransferKind.ALLOCATION)
    try:
        async with pool.acquire() as slow, pool.acquire() as fast, pool.acquire() as chain:
            transaction = slow.transaction()
            await transaction.start()
            await ledger.post(slow, [late], CAUSE)  # draws the lower posting id, commits later
            async with fast.transaction():
                await ledger.post(fast, [early], CAUSE)
            assert await sequencer.work_once(chain) == 1  # only the committed one
            await transaction.commit()
            assert await sequencer.work_once(chain) == 1
            assert await sequencer.work_once(chain) == 0
    finally:
        await pool.close()
    rows = await db.fetch("SELECT sequence, transfer_id::text FROM disbursement.ledger_entries ORDER BY sequence")
    assert [(r["sequence"], r["transfer_id"]) for r in rows] == [(1, early.transfer_id), (2, late.transfer_id)]
    await write_ledger(db, tmp_path / "ledger.jsonl")
    assert verify_lines((tmp_path / "ledger.jsonl").read_text().splitlines()).passed
