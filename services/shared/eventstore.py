"""Per-service event store: streams of contract events with optimistic concurrency."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from contracts.base import Event
from contracts.envelope import Envelope
from contracts.registry import decode
from services.shared import outbox


class ConcurrencyError(RuntimeError):
    """Another writer appended to the stream first; reload and decide again."""


async def load(conn: asyncpg.Connection, stream_id: str) -> list[Event]:
    rows = await conn.fetch(
        "SELECT type, data FROM events WHERE stream_id = $1 ORDER BY version", stream_id
    )
    return [decode(Envelope(source="/store", type=r["type"], data=r["data"])) for r in rows]


async def record(
    conn: asyncpg.Connection,
    stream_id: str,
    expected_version: int,
    events: list[Event],
    *,
    source: str,
    cause: Envelope | None = None,
    orgcode: str | None = None,
    correlationid: str | None = None,
    seal: Callable[[Envelope], Envelope] = lambda envelope: envelope,
) -> list[Envelope]:
    """Append `events` to the stream and queue them for publishing, in the caller's transaction.
    `seal` may sign each envelope (events published on behalf of a union)."""
    envelopes = [
        seal(e.to_envelope(
            source=source,
            orgcode=orgcode or (cause.orgcode if cause else None),
            correlationid=correlationid or (cause.correlationid if cause else None),
            causationid=cause.id if cause else None,
        ))
        for e in events
    ]
    try:
        await conn.executemany(
            "INSERT INTO events (stream_id, version, event_id, type, data) VALUES ($1,$2,$3,$4,$5)",
            [
                (stream_id, expected_version + i + 1, env.id, env.type, env.data)
                for i, env in enumerate(envelopes)
            ],
        )
    except asyncpg.UniqueViolationError as exc:
        raise ConcurrencyError(stream_id) from exc
    for event, env in zip(events, envelopes, strict=True):
        await outbox.enqueue(conn, event.TOPIC.name, event.key, env.to_bytes())
    return envelopes
