"""The ledger's sequencer: gives committed postings their place in the one gap-free hash chain.

One instance at a time runs it (LeaderLoop); it takes the postings in id order, numbers and
chains them after the head, signs each as the `ledger.transfer.posted` event, moves the totals of
outside accounts (budgets, donors, the bank's settled account: no posting locks them, so the
busiest account of the season is no one's bottleneck) and deletes the postings, in one
transaction. A posting committed late, behind a higher id already chained, is chained next:
only postings with no guarded account in common can pass each other (ledger.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg

from contracts.envelope import Envelope
from contracts.ledger import LedgerTransferPosted
from contracts.ledger_format import LEDGER_SOURCE, guarded, seal, timestamp
from services.disbursement import ledger
from services.shared.leader import LeaderLoop

Signer = Callable[[Envelope], Envelope]

_CHAIN = """
    WITH entries AS (
        INSERT INTO ledger_entries (sequence, transfer_id, event_id, debit_account, credit_account, amount_fen,
                                    application_id, kind, reverses, prev_hash, hash, recorded_at)
        SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bigint[],
                             $7::text[], $8::text[], $9::uuid[], $10::text[], $11::text[], $12::timestamptz[])
    ), relayed AS (
        INSERT INTO outbox (topic, key, payload, headers)
        SELECT $13, k, p, h::jsonb FROM unnest($14::text[], $15::bytea[], $16::text[]) AS o(k, p, h)
    ), taken AS (
        DELETE FROM ledger_postings WHERE id = ANY($17::bigint[])
    )
    UPDATE ledger_head SET sequence = $18, hash = $19
"""
_OUTSIDE_TOTALS = """
    INSERT INTO accounts (account, credits_fen, debits_fen)
    SELECT account, sum(credit), sum(debit) FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(account, credit, debit)
    GROUP BY account
    ON CONFLICT (account) DO UPDATE SET credits_fen = accounts.credits_fen + EXCLUDED.credits_fen,
                                        debits_fen = accounts.debits_fen + EXCLUDED.debits_fen
"""
"""Outside accounts may be new and have no overdraft check: an upsert opens and moves them at
once (a guarded account is opened and locked before its posting, and only updated)."""


class LedgerSequencer(LeaderLoop):
    def __init__(self, pool: asyncpg.Pool, sign: Signer, schema: str = "disbursement", batch: int = 5000) -> None:
        super().__init__(pool)
        self._sign, self.batch = sign, batch
        self.lock_name, self.channel = f"sequencer:{schema}", f"{schema}_postings"

    async def pending(self) -> int:
        return await self._pool.fetchval("SELECT count(*) FROM ledger_postings")

    async def work_once(self, conn: asyncpg.Connection) -> int:
        async with conn.transaction():
            postings = await conn.fetch(
                "SELECT id, transfer_id, debit_account, credit_account, amount_fen, application_id, kind, reverses, "
                "cause_id, orgcode, correlationid, headers::text AS headers FROM ledger_postings ORDER BY id LIMIT $1",
                self.batch)
            if postings:
                head = await conn.fetchrow("SELECT sequence, hash FROM ledger_head FOR UPDATE")
                await self._chain(conn, postings, head["sequence"], head["hash"])
        return len(postings)

    async def _chain(self, conn: asyncpg.Connection, postings: list[asyncpg.Record], sequence: int,
                     prev_hash: str) -> None:
        now = datetime.now(UTC)
        entries, keys, payloads, headers = [], [], [], []
        for p in postings:
            sequence += 1
            data = seal({
                "sequence": sequence, "transfer_id": str(p["transfer_id"]), "debit_account": p["debit_account"],
                "credit_account": p["credit_account"], "amount_fen": p["amount_fen"],
                "application_id": p["application_id"], "kind": p["kind"],
                "reverses": str(p["reverses"]) if p["reverses"] else None,
                "prev_hash": prev_hash, "recorded_at": timestamp(now),
            })
            key = p["application_id"] or p["credit_account"]
            envelope = self._sign(LedgerTransferPosted.model_validate(data).to_envelope(
                source=LEDGER_SOURCE, subject=key, orgcode=p["orgcode"], correlationid=p["correlationid"],
                causationid=p["cause_id"]).model_copy(update={"time": now}))
            entries.append((sequence, p["transfer_id"], envelope.id, p["debit_account"], p["credit_account"],
                            p["amount_fen"], p["application_id"], p["kind"], p["reverses"], prev_hash, data["hash"],
                            now))
            keys.append(key)
            payloads.append(envelope.to_bytes())
            headers.append(p["headers"])
            prev_hash = data["hash"]
        await conn.execute(_CHAIN, *(list(c) for c in zip(*entries, strict=True)), LedgerTransferPosted.TOPIC.name,
                           keys, payloads, headers, [p["id"] for p in postings], sequence, prev_hash)
        outside = ((p["debit_account"], p["credit_account"], p["amount_fen"]) for p in postings)
        await conn.execute(_OUTSIDE_TOTALS, *ledger.moves(outside, lambda account: not guarded(account)))
