"""Posting to the ledger, from any number of disbursement instances at once.

A posting locks the rows of the guarded accounts it touches (funds, recipients, clawbacks; in
sorted order, so two postings never deadlock over them), reads their balances under that lock,
then records its transfers in `ledger_postings` and moves those accounts' totals; the locks hold
until the caller's transaction commits. Postings that touch no common guarded account run in
parallel. The sequencer (`sequencer.py`) then chains committed postings in posting-id order: for
every guarded account that is the order its postings committed in, so the chain replays without
an overdraft, whatever the number of instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import asyncpg

from contracts.envelope import Envelope
from contracts.ledger import LedgerTransferPosted
from contracts.ledger_format import LEDGER_SOURCE, guarded, timestamp
from services.disbursement.domain import DonationIntent, Transfer
from services.shared import outbox

_POST = """
    WITH posted AS (
        INSERT INTO ledger_postings (transfer_id, debit_account, credit_account, amount_fen, application_id, kind,
                                     reverses, cause_id, orgcode, correlationid, headers)
        SELECT *, $14::jsonb FROM unnest($4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[],
                                        $10::uuid[], $11::text[], $12::text[], $13::text[])
    )
    UPDATE accounts a SET credits_fen = a.credits_fen + t.credits, debits_fen = a.debits_fen + t.debits
    FROM (SELECT account, sum(credit) AS credits, sum(debit) AS debits
          FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(account, credit, debit)
          GROUP BY account) t
    WHERE a.account = t.account
"""


def moves(transfers: Iterable[tuple[str, str, int]], which: Callable[[str], bool]) -> tuple[list, list, list]:
    """(accounts, credits, debits) for (debit, credit, amount) transfers, of the accounts `which`
    picks: what a posting adds to the guarded accounts' totals, and the sequencer to the others'."""
    transfers = list(transfers)
    credited = [(c, a) for _, c, a in transfers if which(c)]
    debited = [(d, a) for d, _, a in transfers if which(d)]
    return ([c for c, _ in credited] + [d for d, _ in debited], [a for _, a in credited] + [0] * len(debited),
            [0] * len(credited) + [a for _, a in debited])


async def balances(conn: asyncpg.Connection, accounts: Iterable[str]) -> dict[str, int]:
    """Locks the guarded `accounts` until the transaction ends (opening those not seen before)
    and returns their balances. Outside accounts are neither locked nor returned."""
    wanted = sorted({a for a in accounts if guarded(a)})
    if not wanted:
        return {}
    await conn.execute("INSERT INTO accounts (account) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", wanted)
    rows = await conn.fetch("SELECT account, credits_fen - debits_fen AS balance FROM accounts "
                            "WHERE account = ANY($1) ORDER BY account FOR UPDATE", wanted)
    return {r["account"]: r["balance"] for r in rows}


async def peek(conn: asyncpg.Connection, accounts: Iterable[str]) -> dict[str, int]:
    """Balances of the guarded `accounts` as committed now, without locking (0 for one not
    opened yet): to decide on, then check under `balances` just before posting."""
    wanted = sorted({a for a in accounts if guarded(a)})
    rows = await conn.fetch("SELECT account, credits_fen - debits_fen AS balance FROM accounts "
                            "WHERE account = ANY($1)", wanted)
    return {**dict.fromkeys(wanted, 0), **{r["account"]: r["balance"] for r in rows}}


async def hold_waiting_line(conn: asyncpg.Connection) -> None:
    """Until the transaction ends: leaving a payment waiting for funds and money arriving (which
    then pays what waits) take turns. Without it the two could pass each other (a new donor's
    fund the run did not see, a waiting list read before the run committed) and the payment
    would wait for the next money to arrive. Both are rare; grants that are paid never take it."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('disbursement:waiting-line'))")


async def donation_intents(conn: asyncpg.Connection) -> list[DonationIntent]:
    """Every donation fund with its donor's intent (intents never change once recorded)."""
    rows = await conn.fetch("SELECT account, org_codes, stages, per_student_cap_fen FROM donations ORDER BY account")
    return [DonationIntent(r["account"], tuple(r["org_codes"]), tuple(r["stages"]), r["per_student_cap_fen"])
            for r in rows]


async def post(conn: asyncpg.Connection, transfers: list[Transfer], cause: Envelope) -> None:
    """Post `transfers`, all caused by one event."""
    await post_caused(conn, [(t, cause) for t in transfers])


async def post_caused(conn: asyncpg.Connection, caused: list[tuple[Transfer, Envelope]]) -> None:
    """Post each transfer with the event that caused it: the guarded accounts locked first (a
    no-op where this transaction already holds them), then one statement for the postings and
    the guarded accounts' totals. Outside accounts' totals move when the postings are chained."""
    transfers = [t for t, _ in caused]
    await balances(conn, [a for t in transfers for a in (t.debit_account, t.credit_account)])
    postings = [(t.transfer_id, t.debit_account, t.credit_account, t.amount_fen, t.application_id, t.kind.value,
                 t.reverses, cause.id, cause.orgcode, cause.correlationid) for t, cause in caused]
    await conn.execute(_POST, *moves(((t.debit_account, t.credit_account, t.amount_fen) for t in transfers), guarded),
                       *(list(c) for c in zip(*postings, strict=True)), outbox.headers_now())


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
