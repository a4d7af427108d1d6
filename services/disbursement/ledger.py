"""The ledger writer: holds the head lock, chains hashes, updates totals, publishes each entry.

The lock on the single `ledger_head` row is held until the transaction commits, so sequence
numbers are gap-free in commit order and balances read under it cannot go stale, whatever the
number of disbursement instances.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg

from contracts.envelope import Envelope
from contracts.ledger import LedgerTransferPosted
from contracts.ledger_format import LEDGER_SOURCE, seal
from services.disbursement.domain import Transfer
from services.shared import outbox


async def lock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT 1 FROM ledger_head FOR UPDATE")


async def balances(conn: asyncpg.Connection, accounts: Iterable[str]) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT account, credits_fen - debits_fen AS balance FROM accounts WHERE account = ANY($1)",
        list(accounts),
    )
    return {r["account"]: r["balance"] for r in rows}


async def post(conn: asyncpg.Connection, transfers: list[Transfer], cause: Envelope) -> None:
    """Append `transfers` (caller holds the lock) and queue their LedgerTransferPosted events."""
    head = await conn.fetchrow("SELECT sequence, hash FROM ledger_head FOR UPDATE")
    sequence, prev_hash = head["sequence"], head["hash"]
    now = datetime.now(UTC)
    rows, totals = [], []
    for t in transfers:
        sequence += 1
        data = seal({
            "sequence": sequence, "transfer_id": t.transfer_id, "debit_account": t.debit_account,
            "credit_account": t.credit_account, "amount_fen": t.amount_fen,
            "application_id": t.application_id, "kind": t.kind.value, "reverses": t.reverses,
            "prev_hash": prev_hash,
        })
        event = LedgerTransferPosted.model_validate(data)
        envelope = event.to_envelope(
            source=LEDGER_SOURCE, subject=t.application_id or t.credit_account,
            orgcode=cause.orgcode, correlationid=cause.correlationid, causationid=cause.id,
        ).model_copy(update={"time": now})
        rows.append((sequence, t.transfer_id, envelope.id, t.debit_account, t.credit_account,
                     t.amount_fen, t.application_id, t.kind.value, t.reverses, prev_hash,
                     data["hash"], now))
        totals += [(t.credit_account, t.amount_fen, 0), (t.debit_account, 0, t.amount_fen)]
        await outbox.enqueue(conn, event.TOPIC.name, t.application_id or t.credit_account, envelope.to_bytes())
        prev_hash = data["hash"]
    await conn.executemany(
        "INSERT INTO ledger_entries (sequence, transfer_id, event_id, debit_account, credit_account, "
        "amount_fen, application_id, kind, reverses, prev_hash, hash, recorded_at) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
        rows,
    )
    await _add_totals(conn, totals)
    await conn.execute("UPDATE ledger_head SET sequence = $1, hash = $2", sequence, prev_hash)


async def _add_totals(conn: asyncpg.Connection, totals: list[tuple[str, int, int]]) -> None:
    """Create accounts at zero, then add. (An upsert would check the fund constraint against the
    bare insert row, before merging it with the existing totals.)"""
    accounts = sorted({account for account, _, _ in totals})
    await conn.execute(
        "INSERT INTO accounts (account) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", accounts
    )
    await conn.execute(
        "UPDATE accounts a SET credits_fen = a.credits_fen + t.credits, debits_fen = a.debits_fen + t.debits "
        "FROM (SELECT account, sum(credit) AS credits, sum(debit) AS debits "
        "      FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(account, credit, debit) "
        "      GROUP BY account) t WHERE a.account = t.account",
        [t[0] for t in totals], [t[1] for t in totals], [t[2] for t in totals],
    )


def export_line(row: asyncpg.Record) -> Envelope:
    """A stored entry as the CloudEvent it was published as (one `ledger.jsonl` line)."""
    data = {
        "sequence": row["sequence"], "transfer_id": str(row["transfer_id"]),
        "debit_account": row["debit_account"], "credit_account": row["credit_account"],
        "amount_fen": row["amount_fen"], "application_id": row["application_id"],
        "kind": row["kind"], "reverses": str(row["reverses"]) if row["reverses"] else None,
        "prev_hash": row["prev_hash"], "hash": row["hash"],
    }
    return Envelope(
        id=str(row["event_id"]), source=LEDGER_SOURCE, type=LedgerTransferPosted.type_name(),
        subject=row["application_id"] or row["credit_account"], time=row["recorded_at"], data=data,
    )
