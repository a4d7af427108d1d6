"""Per-service event store: streams of contract events with optimistic concurrency. Appending
also queues the events in the outbox: one statement, in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from contracts.base import Event
from contracts.envelope import Envelope
from services.shared import outbox

_APPEND = """
    WITH stored AS (
        INSERT INTO events (stream_id, version, event_id, type, data)
        SELECT s, v, e::uuid, t, d::jsonb FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[])
            AS u(s, v, e, t, d)
    )
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT topic, key, payload, headers::jsonb
    FROM unnest($6::text[], $7::text[], $8::bytea[], $9::text[]) AS o(topic, key, payload, headers)
"""


@dataclass(frozen=True)
class Flow:
    """The business flow an appended event continues: its correlation id and the outbox headers
    carrying its trace context."""

    correlationid: str | None
    headers: list[list[str]]


class ConcurrencyError(RuntimeError):
    """Another writer appended to the stream first; reload and decide again."""


async def append(
    conn: asyncpg.Connection,
    items: Sequence[tuple[str, int, Event]],
    *,
    source: str,
    seal: Callable[[Envelope], Envelope],
    cause: Envelope | None = None,
    orgcode: str | None = None,
    correlationid: str | None = None,
    flows: Sequence[Flow] | None = None,
) -> list[Envelope]:
    """Append each (stream, version it gets, event) and queue it for publishing, each envelope
    signed by `seal` (the service's own key). `flows`, one per item, carry each item on in its
    own business flow (correlation id and trace context) where one cause decides many."""
    flows = flows or [Flow(correlationid or (cause.correlationid if cause else None), outbox.headers_now())] * len(items)
    envelopes = [
        seal(event.to_envelope(
            source=source,
            orgcode=orgcode or (cause.orgcode if cause else None),
            correlationid=flow.correlationid,
            causationid=cause.id if cause else None,
        ))
        for (_, _, event), flow in zip(items, flows, strict=True)
    ]
    if not items:
        return envelopes
    try:
        await conn.execute(
            _APPEND,
            [stream for stream, _, _ in items], [version for _, version, _ in items],
            [env.id for env in envelopes], [env.type for env in envelopes],
            [json.dumps(env.data, ensure_ascii=False) for env in envelopes],
            [event.TOPIC.name for _, _, event in items], [event.key for _, _, event in items],
            [env.to_bytes() for env in envelopes], [json.dumps(flow.headers) for flow in flows],
        )
    except asyncpg.UniqueViolationError as exc:
        raise ConcurrencyError(", ".join(sorted({s for s, _, _ in items}))) from exc
    return envelopes


async def record(
    conn: asyncpg.Connection,
    stream_id: str,
    expected_version: int,
    events: list[Event],
    **context,
) -> list[Envelope]:
    """Append `events` to one stream whose current version is `expected_version`."""
    items = [(stream_id, expected_version + i + 1, e) for i, e in enumerate(events)]
    return await append(conn, items, **context)
