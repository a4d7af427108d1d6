"""Where a filing's wait for its verdict goes, hop by hop: from intake's transaction to its
outbox relay's send (the Kafka record's timestamp), and from there to the start of the
verification transaction that handled it (its inbox row, stored with the verdict). One machine,
one clock: the database's and the broker's times compare."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer

from contracts.applications import ApplicationSubmitted
from contracts.topics import APPLICATIONS
from services.shared.kafka import ADMIN, client_options
from services.shared.settings import Settings


@dataclass(frozen=True)
class Hop:
    what: str
    p50_ms: float
    p99_ms: float


async def submit_to_verdict(settings: Settings) -> list[Hop]:
    published = await _published(settings)
    conn = await asyncpg.connect(settings.database_url)
    try:
        submitted = {r["application_id"]: r["at"] for r in await conn.fetch(
            "SELECT application_id, extract(epoch FROM submitted_at)::float8 AS at FROM intake.applications")}
        handled = {r["event_id"]: r["at"] for r in await conn.fetch(
            "SELECT event_id, extract(epoch FROM handled_at)::float8 AS at FROM verification.inbox")}
    finally:
        await conn.close()
    return hops(submitted, published, handled)


def hops(submitted: dict[str, float], published: dict[str, tuple[str, float]],
         handled: dict[str, float]) -> list[Hop]:
    """From when each application was filed (by application id), each ApplicationSubmitted was
    sent (event id → application id, seconds) and verification took it (by event id); events
    not yet taken, or of applications not filed here, are left out."""
    followed = [(submitted[application], sent, handled[event])
                for event, (application, sent) in published.items() if application in submitted and event in handled]
    return [_hop("intake's outbox → Kafka", [sent - filed for filed, sent, _ in followed]),
            _hop("Kafka → verification's transaction", [taken - sent for _, sent, taken in followed])]


def _hop(what: str, seconds: list[float]) -> Hop:
    if len(seconds) < 2:
        return Hop(what, float("nan"), float("nan"))
    percentiles = statistics.quantiles(seconds, n=100)
    return Hop(what, percentiles[49] * 1000, percentiles[98] * 1000)


async def _published(settings: Settings) -> dict[str, tuple[str, float]]:
    """Every ApplicationSubmitted on the broker: event id → (application id, seconds it was sent)."""
    consumer = AIOKafkaConsumer(APPLICATIONS.physical(settings.namespace), **client_options(settings, ADMIN),
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    published: dict[str, tuple[str, float]] = {}
    try:
        while batch := await consumer.getmany(timeout_ms=2000, max_records=5000):
            for record in (r for records in batch.values() for r in records):
                envelope = orjson.loads(record.value)
                if envelope["type"] == ApplicationSubmitted.type_name():
                    published[envelope["id"]] = (envelope["data"]["application_id"], record.timestamp / 1000)
    finally:
        await consumer.stop()
    return published
