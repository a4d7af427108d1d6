"""Transactional outbox: rows written with the state change, relayed to Kafka afterwards."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import UnknownTopicOrPartitionError

from contracts.envelope import kafka_headers
from services.shared import tracing
from services.shared.backoff import Backoff

log = structlog.get_logger(__name__)


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


class OutboxRelay:
    """Publishes a schema's outbox in id order. One active relay per schema (advisory lock),
    so per-key order holds; others stand by. A crash after publishing but before deleting
    republishes rows, which idempotent consumers ignore."""

    def __init__(self, pool: asyncpg.Pool, schema: str, producer: AIOKafkaProducer, namespace: str = "",
                 batch: int = 2000, recreate_topics: Callable[[], Awaitable[None]] | None = None):
        self._pool, self._schema, self._producer, self._batch = pool, schema, producer, batch
        self._recreate_topics = recreate_topics
        self._namespace = namespace
        self._wakeup = asyncio.Event()
        self.published = 0

    async def run(self) -> None:
        """Relay until cancelled; a lost broker or database connection is retried after a growing
        pause, never fatal; a topic found missing is created again."""
        backoff = Backoff()
        while True:
            try:
                await self._run_while_leader(backoff)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = backoff.next_delay()
                log.warning("outbox_relay_failed_will_retry", schema=self._schema, error=repr(exc)[:300],
                            attempt=backoff.failures, retry_in_s=round(delay, 2))
                if isinstance(exc, UnknownTopicOrPartitionError) and self._recreate_topics:
                    with contextlib.suppress(Exception):
                        await self._recreate_topics()
                await asyncio.sleep(delay)

    async def _run_while_leader(self, backoff: Backoff) -> None:
        async with self._pool.acquire() as conn:
            while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._lock_name):
                await asyncio.sleep(1.0)
            await conn.add_listener(f"{self._schema}_outbox", self._on_notify)
            try:
                while True:
                    relayed = await self._relay_once(conn)
                    backoff.reset()
                    if relayed < self._batch:
                        self._wakeup.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wakeup.wait(), timeout=0.5)
            finally:
                with contextlib.suppress(Exception):
                    await conn.remove_listener(f"{self._schema}_outbox", self._on_notify)
                    await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", self._lock_name)

    async def drain(self, timeout: float = 5.0) -> None:
        """Until the outbox is empty (or `timeout`): a clean stop publishes what it has stored."""
        deadline = asyncio.get_running_loop().time() + timeout
        with contextlib.suppress(Exception):
            while await self._pool.fetchval("SELECT count(*) FROM outbox"):
                if asyncio.get_running_loop().time() > deadline:
                    return
                self._wakeup.set()
                await asyncio.sleep(0.05)

    @property
    def _lock_name(self) -> str:
        return f"outbox:{self._schema}"

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def _relay_once(self, conn: asyncpg.Connection) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, payload, headers FROM outbox ORDER BY id LIMIT $1", self._batch
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
