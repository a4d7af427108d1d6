"""The ledger writer: holds the head lock, chains hashes, updates totals, publishes each entry.

The lock on the single `ledger_head` row is held until the transaction commits, so sequence
numbers are gap-free in commit order and balances read under it cannot go stale, whatever the
number of disbursement instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import asyncpg

from contracts.envelope import Envelope
from contracts.ledger import LedgerTransferPosted
from contracts.ledger_format import LEDGER_SOURCE, seal, timestamp
from services.disbursement.domain import DonationIntent, Transfer
from services.shared import outbox

Signer = Callable[[Envelope], Envelope]

_APPEND = """
    WITH entries AS (
        INSERT INTO ledger_entries (sequence, transfer_id, event_id, debit_account, credit_account, amount_fen,
                                    application_id, kind, reverses, prev_hash, hash, recorded_at)
        SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bigint[],
                             $7::text[], $8::text[], $9::uuid[], $10::text[], $11::text[], $12::timestamptz[])
    ), relayed AS (
        INSERT INTO outbox (topic, key, payload, headers)
        SELECT $13, k, p, $16::jsonb FROM unnest($14::text[], $15::bytea[]) AS o(k, p)
    ), opened AS (
        INSERT INTO accounts (account) SELECT DISTINCT unnest($4::text[] || $5::text[]) ON CONFLICT DO NOTHING
    )
    UPDATE ledger_head SET sequence = $17, hash = $18
"""
_TOTALS = """
    UPDATE accounts a SET credits_fen = a.credits_fen + t.credits, debits_fen = a.debits_fen + t.debits
    FROM (SELECT account, sum(credit) AS credits, sum(debit) AS debits
          FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(account, credit, debit)
          GROUP BY account) t
    WHERE a.account = t.account
"""


async def lock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT 1 FROM ledger_head FOR UPDATE")


async def balances_and_donations(conn: asyncpg.Connection,
                                 accounts: Iterable[str]) -> tuple[dict[str, int], list[DonationIntent]]:
    """Balances of `accounts` and of every donation fund, with the donors' intents (call under the lock)."""
    rows = await conn.fetch(
        "SELECT a.account, a.credits_fen - a.debits_fen AS balance, d.org_codes, d.stages, d.per_student_cap_fen "
        "FROM accounts a LEFT JOIN donations d ON d.account = a.account "
        "WHERE a.account = ANY($1) OR d.account IS NOT NULL ORDER BY a.account",
        list(accounts),
    )
    donations = [DonationIntent(r["account"], tuple(r["org_codes"]), tuple(r["stages"]), r["per_student_cap_fen"])
                 for r in rows if r["org_codes"] is not None]
    return {r["account"]: r["balance"] for r in rows}, donations


async def post(conn: asyncpg.Connection, transfers: list[Transfer], cause: Envelope, sign: Signer) -> None:
    """Append `transfers`, all caused by one event (caller holds the lock)."""
    await post_caused(conn, [(t, cause) for t in transfers], sign)


async def post_caused(conn: asyncpg.Connection, caused: list[tuple[Transfer, Envelope]], sign: Signer) -> None:
    """Append each transfer with the event that caused it (caller holds the lock), and queue
    their LedgerTransferPosted events, signed by `sign`: three statements however many transfers."""
    transfers = [t for t, _ in caused]
    head = await conn.fetchrow("SELECT sequence, hash FROM ledger_head")
    sequence, prev_hash = head["sequence"], head["hash"]
    now = datetime.now(UTC)
    entries, keys, payloads = [], [], []
    for t, cause in caused:
        sequence += 1
        data = seal({
            "sequence": sequence, "transfer_id": t.transfer_id, "debit_account": t.debit_account,
            "credit_account": t.credit_account, "amount_fen": t.amount_fen,
            "application_id": t.application_id, "kind": t.kind.value, "reverses": t.reverses,
            "prev_hash": prev_hash, "recorded_at": timestamp(now),
        })
        event = LedgerTransferPosted.model_validate(data)
        envelope = event.to_envelope(
            source=LEDGER_SOURCE, subject=t.application_id or t.credit_account,
            orgcode=cause.orgcode, correlationid=cause.correlationid, causationid=cause.id,
        ).model_copy(update={"time": now})
        envelope = sign(envelope)
        entries.append((sequence, t.transfer_id, envelope.id, t.debit_account, t.credit_account, t.amount_fen,
                        t.application_id, t.kind.value, t.reverses, prev_hash, data["hash"], now))
        keys.append(t.application_id or t.credit_account)
        payloads.append(envelope.to_bytes())
        prev_hash = data["hash"]
    columns = [list(c) for c in zip(*entries, strict=True)]
    await conn.execute(_APPEND, *columns, LedgerTransferPosted.TOPIC.name, keys, payloads,
                       outbox.headers_now(), sequence, prev_hash)
    await conn.execute(
        _TOTALS,
        [t.credit_account for t in transfers] + [t.debit_account for t in transfers],
        [t.amount_fen for t in transfers] + [0] * len(transfers),
        [0] * len(transfers) + [t.amount_fen for t in transfers],
    )


def export_line(row: asyncpg.Record) -> Envelope:
    """A stored entry as the CloudEvent it was published as (one `ledger.jsonl` line)."""
    data = {
        "sequence": row["sequence"], "transfer_id": str(row["transfer_id"]),
        "debit_account": row["debit_account"], "credit_account": row["credit_account"],
        "amount_fen": row["amount_fen"], "application_id": row["application_id"],
        "kind": row["kind"], "reverses": str(row["reverses"]) if row["reverses"] else None,
        "prev_hash": row["prev_hash"], "recorded_at": timestamp(row["recorded_at"]), "hash": row["hash"],
    }
    return Envelope(
        id=str(row["event_id"]), source=LEDGER_SOURCE, type=LedgerTransferPosted.type_name(),
        subject=row["application_id"] or row["credit_account"], time=row["recorded_at"], data=data,
    )
