"""Idempotency on business ids: a command is carried out once, whatever the event id it comes
in. A retry (same business id, same content) changes nothing; the same business id with other
content is refused, since it can only be a mistake or a forgery."""

from __future__ import annotations

import hashlib

import structlog

from contracts.base import Event
from contracts.ledger_format import canonical_json
from services.shared.consumer import HandlerContext
from services.shared.errors import Refused

log = structlog.get_logger(__name__)


def digest(event: Event) -> str:
    return hashlib.sha256(canonical_json(event.model_dump(mode="json")).encode()).hexdigest()


async def first_time(ctx: HandlerContext, business_id: str, event: Event) -> bool:
    """True if the command `business_id` is new (it is then recorded as done, in the caller's
    transaction); False for a retry of it; `Refused` if the id was used for another command."""
    mine = digest(event)
    stored = await ctx.conn.fetchval(
        "WITH new AS (INSERT INTO commands_done (business_id, digest, event_id) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING RETURNING digest) "
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM new) THEN NULL "
        "ELSE (SELECT digest FROM commands_done WHERE business_id = $1) END",
        business_id, mine, ctx.envelope.id)
    if stored is None:
        return True
    if stored != mine:
        raise Refused("business_id_reused", f"编号{business_id}已用于另一项内容不同的操作，本次不予受理")
    log.info("duplicate_command_ignored", business_id=business_id, type=event.NAME)
    return False
