"""What the bare parts do on this machine, measured in the same run as the pipeline: aiokafka
producing and consuming 300-byte keyed messages, asyncpg executemany and COPY."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from contracts.topics import Topic
from services.shared.kafka import ADMIN, client_options, ensure_topics, make_producer
from services.shared.settings import Settings

MESSAGE = b"x" * 300


@dataclass(frozen=True)
class Rate:
    what: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


async def kafka_produce_and_consume(settings: Settings, messages: int) -> tuple[Rate, Rate]:
    topic = Topic(f"bench.baseline.{os.getpid()}", 8, "bench")
    await ensure_topics(settings, ADMIN, (topic,))
    producer = make_producer(settings, ADMIN)
    await producer.start()
    try:
        started = time.perf_counter()
        pending = []
        for i in range(messages):
            pending.append(await producer.send(topic.physical(settings.namespace), MESSAGE, key=str(i).encode()))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        produced = Rate("Kafka produce (aiokafka, acks=all)", messages, time.perf_counter() - started)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic.physical(settings.namespace), **client_options(settings, ADMIN),
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < messages:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            seen += sum(len(records) for records in batch.values())
        consumed = Rate("Kafka consume (aiokafka)", seen, time.perf_counter() - started)
    finally:
        await consumer.stop()
    admin = AIOKafkaAdminClient(**client_options(settings, ADMIN))
    await admin.start()
    try:
        await admin.delete_topics([topic.physical(settings.namespace)])
    finally:
        await admin.close()
    return produced, consumed


async def postgres_inserts(database_url: str, rows: int) -> tuple[Rate, Rate, Rate]:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("CREATE TEMP TABLE bench_rows (id bigint, key text, payload text)")
        records = [(i, f"key-{i}", "x" * 200) for i in range(rows)]
        started = time.perf_counter()
        for i in range(min(rows, 2000)):  # one-row transactions: what a handler doing one thing at a time gets
            async with conn.transaction():
                await conn.execute("INSERT INTO bench_rows VALUES ($1, $2, $3)", *records[i])
        single = Rate("PostgreSQL one-row transactions", min(rows, 2000), time.perf_counter() - started)
        started = time.perf_counter()
        await conn.executemany("INSERT INTO bench_rows VALUES ($1, $2, $3)", records)
        many = Rate("PostgreSQL executemany", rows, time.perf_counter() - started)
        started = time.perf_counter()
        await conn.copy_records_to_table("bench_rows", records=records)
        copied = Rate("PostgreSQL COPY", rows, time.perf_counter() - started)
        return single, many, copied
    finally:
        await conn.close()

