"""`jinqiu status`: each service's throughput and outbox backlog (from its schema) and each
consumer group's lag (from the broker). On Tansu the end offsets it reports can trail the true
high watermark by one batch, so lag there is a lower bound; on Apache Kafka it is exact."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.topics import DEAD_LETTER
from services.shared.kafka import ADMIN, GroupLag, client_options, group_lag
from services.shared.settings import Settings
from services.system import SERVICES


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    handled: int
    handled_last_minute: int
    outbox_backlog: int
    oldest_unsent_seconds: float | None
    unchained: int | None = None  # disbursement: ledger postings the sequencer has not chained yet


async def service_status(conn: asyncpg.Connection, name: str) -> ServiceStatus | None:
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{name}.inbox"):
        return None
    row = await conn.fetchrow(f"""
        SELECT (SELECT count(*) FROM "{name}".inbox) AS handled,
               (SELECT count(*) FROM "{name}".inbox WHERE handled_at > now() - interval '1 minute') AS recent,
               (SELECT count(*) FROM "{name}".outbox) AS backlog,
               (SELECT extract(epoch FROM now() - min(created_at)) FROM "{name}".outbox) AS oldest""")
    unchained = None
    if await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{name}.ledger_postings"):
        unchained = await conn.fetchval(f'SELECT count(*) FROM "{name}".ledger_postings')
    return ServiceStatus(name, row["handled"], row["recent"], row["backlog"],
                         float(row["oldest"]) if row["oldest"] is not None else None, unchained)


async def dead_letters(settings: Settings) -> int:
    consumer = AIOKafkaConsumer(**client_options(settings, ADMIN))
    await consumer.start()
    try:
        partitions = [TopicPartition(DEAD_LETTER.physical(settings.namespace), p) for p in range(DEAD_LETTER.partitions)]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def collect(settings: Settings) -> tuple[list[ServiceStatus], list[GroupLag], int]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        services = [s for name in SERVICES if (s := await service_status(conn, name))]
    finally:
        await conn.close()
    lags = [await group_lag(settings, f"{name}.{sub.name}", sub.topics)
            for name, create in SERVICES.items() for sub in create(settings).subscriptions]
    return services, lags, await dead_letters(settings)
