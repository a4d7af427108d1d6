"""Transactional outbox: rows written with the state change, relayed to Kafka afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import UnknownTopicOrPartitionError

from contracts.envelope import kafka_headers
from services.shared import tracing
from services.shared.leader import LeaderLoop


def stored_headers(headers: list[tuple[str, bytes]]) -> list[list[str]]:
    """Kafka headers as the outbox's jsonb column holds them."""
    return [[k, v.decode()] for k, v in headers]


CLOUDEVENT_HEADERS = stored_headers(kafka_headers())


def headers_now() -> list[list[str]]:
    """The content type, and the trace context of the span storing the event (when tracing)."""
    return CLOUDEVENT_HEADERS + tracing.current_headers()


async def enqueue(
    conn: asyncpg.Connection,
    topic: str,
    key: str | None,
    payload: bytes,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    encoded = stored_headers(headers) if headers else headers_now()
    await conn.execute(
        "INSERT INTO outbox (topic, key, payload, headers) VALUES ($1, $2, $3, $4)",
        topic,
        key,
        payload,
        encoded,
    )


class OutboxRelay(LeaderLoop):
    """Publishes a schema's outbox in id order. One active relay per schema (LeaderLoop), so
    per-key order holds; others stand by. A crash after publishing but before deleting
    republishes rows, which idempotent consumers ignore. A topic found missing is created again."""

    def __init__(self, pool: asyncpg.Pool, schema: str, producer: AIOKafkaProducer, namespace: str = "",
                 batch: int = 2000, recreate_topics: Callable[[], Awaitable[None]] | None = None):
        super().__init__(pool)
        self._schema, self._producer, self.batch = schema, producer, batch
        self._recreate_topics = recreate_topics
        self._namespace = namespace
        self.lock_name, self.channel = f"outbox:{schema}", f"{schema}_outbox"
        self.published = 0

    async def pending(self) -> int:
        return await self._pool.fetchval("SELECT count(*) FROM outbox")

    async def on_failure(self, exc: Exception) -> None:
        if isinstance(exc, UnknownTopicOrPartitionError) and self._recreate_topics:
            await self._recreate_topics()

    async def work_once(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, payload, headers FROM outbox ORDER BY id LIMIT $1", self.batch
        )
        if not rows:
            return 0
        sends = [
            await self._producer.send(
                self._namespace + r["topic"],
                value=r["payload"],
                key=r["key"].encode() if r["key"] is not None else None,
                headers=[(k, v.encode()) for k, v in r["headers"]],
            )
            for r in rows
        ]
        await asyncio.gather(*sends)
        await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        self.published += len(rows)
        return len(rows)
