"""Kafka plumbing: explicit topic creation and the producer the outbox relay uses."""

from __future__ import annotations

import asyncio

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from contracts.topics import ALL_TOPICS, Topic
from services.shared.settings import Settings

log = structlog.get_logger(__name__)


async def ensure_topics(bootstrap: str, namespace: str = "", topics: tuple[Topic, ...] = ALL_TOPICS) -> None:
    """Create missing topics with their partition counts (auto-creation would pick its own)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(t.physical(namespace), num_partitions=t.partitions, replication_factor=1)
            for t in topics
            if t.physical(namespace) not in existing
        ]
        if missing:
            await admin.create_topics(missing)
            log.info("topics_created", topics=[t.name for t in missing])
    finally:
        await admin.close()


async def wait_for_broker(bootstrap: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
        finally:
            await admin.close()


def make_producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.idempotent_producer,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
