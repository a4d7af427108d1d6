"""Payments in PostgreSQL: each loaded by folding its stream in the event store; each save
appends the new events (publishing only `payment.requested`) and refreshes the `payments` row."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from contracts.access import DISBURSEMENT, may_produce
from contracts.base import Event
from contracts.registry import BY_NAME, decode_data
from services.disbursement.domain import GrantInstructed, Payment
from services.shared import eventstore
from services.shared.consumer import HandlerContext

STORED_EVENTS = {**BY_NAME, GrantInstructed.NAME: GrantInstructed}
COLUMNS = ("application_id", "org_code", "stage", "amount_fen", "fund_sources", "bank_card", "priority", "status",
           "reason", "grant_transfer_id", "fund_account", "revoke_pending", "version")
_PROJECT = f"""
    INSERT INTO payments ({", ".join(COLUMNS)}) VALUES ({", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))})
    ON CONFLICT (application_id) DO UPDATE SET bank_card = EXCLUDED.bank_card, status = EXCLUDED.status,
        reason = EXCLUDED.reason, grant_transfer_id = EXCLUDED.grant_transfer_id,
        fund_account = EXCLUDED.fund_account, revoke_pending = EXCLUDED.revoke_pending,
        version = EXCLUDED.version, updated_at = clock_timestamp()
"""

Change = tuple[HandlerContext, int, Payment, list[Event]]
"""(handler context, version stored, the payment with the new events applied, the new events)."""


def stream_id(application_id: str) -> str:
    return f"payment-{application_id}"


def decode_stored(type_name: str, data: dict) -> Event:
    return decode_data(type_name, data, STORED_EVENTS)


def published(event: Event) -> bool:
    return may_produce(DISBURSEMENT, type(event))


async def load(conn: asyncpg.Connection, application_ids: Sequence[str]) -> dict[str, Payment]:
    streams = await eventstore.load(conn, [stream_id(a) for a in application_ids], decode_stored)
    folded = (Payment.fold(events) for events in streams.values())
    return {payment.application_id: payment for payment in folded}


async def save(changes: Sequence[Change]) -> None:
    """Append each payment's new events at the version it was loaded at (another writer first →
    ConcurrencyError, the batch is retried) and refresh its row, in the caller's transaction."""
    changes = [c for c in changes if c[3]]
    if not changes:
        return
    first = changes[0][0]
    items, flows = [], []
    for ctx, stored, payment, events in changes:
        items += [(stream_id(payment.application_id), stored + i + 1, e) for i, e in enumerate(events)]
        flows += [ctx.flow()] * len(events)
    await eventstore.append(first.conn, items, source=first.source, cause=first.envelope, seal=first.authority.seal,
                            flows=flows, publishes=published)
    await first.conn.executemany(_PROJECT, [[payment.projection()[c] for c in COLUMNS]
                                            for _, _, payment, _ in changes])
