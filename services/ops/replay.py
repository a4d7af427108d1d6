"""`jinqiu replay SERVICE`: rebuild a service's projections from its own records, in memory, and
compare them with the live tables by digest. Equal digests mean the tables hold nothing the
events do not say; `--write` puts the rebuilt rows back (after a restore, or a projection bug).

- verification: each review folded from its stream → `reviews` and `decisions`;
- employment: each graduate folded from its stream → `graduates`;
- disbursement: each payment folded from its stream → `payments`; the hash-chained ledger
  folded → `accounts`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import asyncpg

from contracts.applications import ApplicationRejected, ApplicationVerified, GrantRevoked
from contracts.ledger_format import canonical_json, guarded
from contracts.registry import decode_data
from services.disbursement import payments
from services.disbursement.domain import Payment
from services.employment.domain import Graduate
from services.employment.handlers import GRADUATE_COLUMNS
from services.verification.repository import decision_columns, decode_stored
from services.verification.review import Review, projection

REVIEW_FIELDS = ("application_id", "org_code", "status", "version", "attempt", "notice_ends_on", "open_objections",
                 "entitlement")
DECISION_FIELDS = ("application_id", "decision", "amount_fen", "rule_id", "policy_version", "reasons", "duplicate_of")


@dataclass(frozen=True)
class Comparison:
    table: str
    rows: int
    live: str
    replayed: str

    @property
    def equal(self) -> bool:
        return self.live == self.replayed


def digest(rows: Iterable[dict]) -> str:
    """Order-free digest of rows (each a dict of JSON-able values)."""
    lines = sorted(canonical_json(_jsonable(r)) for r in rows)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else list(v) if isinstance(v, tuple) else v)
            for k, v in row.items()}


async def _streams(conn: asyncpg.Connection, schema: str, prefix: str,
                   decode: Callable[[str, dict], object]) -> list[list]:
    rows = await conn.fetch(f"SELECT stream_id, type, data FROM {schema}.events WHERE stream_id LIKE $1 "
                            "ORDER BY stream_id, version", f"{prefix}%")
    streams: dict[str, list] = defaultdict(list)
    for row in rows:
        streams[row["stream_id"]].append(decode(row["type"], row["data"]))
    return list(streams.values())


def _pick(row: dict, fields: tuple[str, ...]) -> dict:
    return {f: row[f] for f in fields}


def decision_of(review: Review, stream: list) -> dict | None:
    """The `decisions` row a review's stream ends in: its last approval or rejection, revoked
    if the grant was withdrawn since."""
    last = next((e for e in reversed(stream) if isinstance(e, ApplicationVerified | ApplicationRejected)), None)
    if last is None:
        return None
    row = _pick(decision_columns(last), DECISION_FIELDS)
    if isinstance(last, ApplicationVerified) and any(isinstance(e, GrantRevoked) for e in stream):
        row["decision"] = "revoked"
    return row


async def replay_verification(conn: asyncpg.Connection, write: bool = False) -> list[Comparison]:
    reviews, decisions = [], []
    for stream in await _streams(conn, "verification", "review-", decode_stored):
        review = Review.fold(stream)
        reviews.append(_pick(projection(review), REVIEW_FIELDS))
        if (decision := decision_of(review, stream)) is not None:
            decisions.append(decision)
    live_reviews = [dict(r) for r in await conn.fetch(f"SELECT {', '.join(REVIEW_FIELDS)} FROM verification.reviews")]
    live_decisions = [dict(r) for r in await conn.fetch(
        f"SELECT {', '.join(DECISION_FIELDS)} FROM verification.decisions")]
    if write:
        await _rewrite(conn, "verification.reviews", "application_id", reviews)
        await _rewrite(conn, "verification.decisions", "application_id", decisions)
    return [Comparison("verification.reviews", len(reviews), digest(live_reviews), digest(reviews)),
            Comparison("verification.decisions", len(decisions), digest(live_decisions), digest(decisions))]


async def replay_employment(conn: asyncpg.Connection, write: bool = False) -> list[Comparison]:
    graduates = [_pick(Graduate.fold(s).projection(), GRADUATE_COLUMNS)
                 for s in await _streams(conn, "employment", "graduate-", decode_data)]
    live = [dict(r) for r in await conn.fetch(f"SELECT {', '.join(GRADUATE_COLUMNS)} FROM employment.graduates")]
    if write:
        await _rewrite(conn, "employment.graduates", "graduate_id", graduates)
    return [Comparison("employment.graduates", len(graduates), digest(live), digest(graduates))]


async def replay_disbursement(conn: asyncpg.Connection, write: bool = False) -> list[Comparison]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    # the chain, and postings not chained yet (they have moved their guarded accounts only)
    for row in await conn.fetch("SELECT debit_account, credit_account, amount_fen, true AS chained "
                                "FROM disbursement.ledger_entries UNION ALL SELECT debit_account, credit_account, "
                                "amount_fen, false FROM disbursement.ledger_postings"):
        if row["chained"] or guarded(row["credit_account"]):
            totals[row["credit_account"]][0] += row["amount_fen"]
        if row["chained"] or guarded(row["debit_account"]):
            totals[row["debit_account"]][1] += row["amount_fen"]
    accounts = [{"account": a, "credits_fen": c, "debits_fen": d} for a, (c, d) in totals.items()]
    live = [dict(r) for r in await conn.fetch("SELECT account, credits_fen, debits_fen FROM disbursement.accounts "
                                              "WHERE credits_fen <> 0 OR debits_fen <> 0")]  # not just opened
    rebuilt = [Payment.fold(s).projection() for s in await _streams(conn, "disbursement", "payment-",
                                                                     payments.decode_stored)]
    live_payments = [{**dict(r), "grant_transfer_id": str(r["grant_transfer_id"]) if r["grant_transfer_id"] else None}
                     for r in await conn.fetch(f"SELECT {', '.join(payments.COLUMNS)} FROM disbursement.payments")]
    if write:
        await _rewrite(conn, "disbursement.accounts", "account", accounts)
        await _rewrite(conn, "disbursement.payments", "application_id", rebuilt)
    return [Comparison("disbursement.payments", len(rebuilt), digest(live_payments), digest(rebuilt)),
            Comparison("disbursement.accounts", len(accounts), digest(live), digest(accounts))]


async def _rewrite(conn: asyncpg.Connection, table: str, key: str, rows: list[dict]) -> None:
    """Put the rebuilt rows' columns back over the live ones, in one transaction."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    async with conn.transaction():
        await conn.executemany(f"UPDATE {table} SET {sets} WHERE {key} = $1",
                               [[r[key], *(r[c] for c in columns)] for r in rows])


REPLAYS = {"verification": replay_verification, "employment": replay_employment, "disbursement": replay_disbursement}
