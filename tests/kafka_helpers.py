"""Test helpers that talk to the real broker: publish envelopes, read a topic back, poll a query."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from contracts.access import PRODUCERS
from contracts.base import Event
from contracts.envelope import Envelope, kafka_headers
from contracts.signing import sign
from contracts.topics import Topic
from services.shared.kafka import ADMIN, client_options
from services.shared.settings import Settings
from tests.factories import TEST_KEYS


async def publish(settings: Settings, items: list[tuple[Topic, str | None, bytes]], principal: str = ADMIN) -> None:
    """Raw records on the broker, as `principal` (by default the admin, who may write anywhere:
    what a consumer does with a record is then up to its own checks)."""
    producer = AIOKafkaProducer(**client_options(settings, principal), acks="all")
    await producer.start()
    try:
        for topic, key, value in items:
            await producer.send_and_wait(topic.physical(settings.namespace), value,
                                         key=key.encode() if key else None, headers=kafka_headers())
    finally:
        await producer.stop()


def as_union(event: Event, org: str | None = None, id: str | None = None, signed: bool = True) -> Envelope:
    """The event as its publisher would send it, signed with the test keys: the union it acts
    for (or `org`, to test refusals), else the principal that produces its type (the scheduler,
    the bank, a service)."""
    if event.ACTING_ORG_FIELD or org:
        org = org or getattr(event, event.ACTING_ORG_FIELD)
        signer, envelope = org, event.to_envelope(source=f"/union/{org}", orgcode=org, correlationid="corr-test", id=id)
    else:
        signer = sorted(PRODUCERS[type(event)])[0]
        envelope = event.to_envelope(source=f"/jinqiu/{signer}", correlationid="corr-test", id=id)
    return sign(envelope, signer, TEST_KEYS[signer]) if signed else envelope


async def publish_events(settings: Settings, envelopes_and_events: list[tuple[Event, Envelope]]) -> None:
    await publish(settings, [(e.TOPIC, e.key, env.to_bytes()) for e, env in envelopes_and_events])


async def read_topic(settings: Settings, topic: Topic, idle: float = 1.5) -> list[ConsumerRecord]:
    """Every record on the topic, read from the start until nothing new arrives for `idle` s."""
    consumer = AIOKafkaConsumer(**client_options(settings, ADMIN), enable_auto_commit=False)
    await consumer.start()
    try:
        name = topic.physical(settings.namespace)
        tps = [TopicPartition(name, p) for p in range(topic.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        while True:
            batch = await consumer.getmany(timeout_ms=int(idle * 1000))
            if not batch:
                return records
            for part in batch.values():
                records.extend(part)
    finally:
        await consumer.stop()


async def ledger_chained(db) -> None:
    """Until the sequencer has chained every committed posting: the ledger's entries are then
    final (the accounts' balances already were, from the postings)."""
    await eventually(lambda: db.fetchval("SELECT count(*) FROM disbursement.ledger_postings"), lambda n: n == 0)


async def eventually(probe: Callable[[], Awaitable[Any]], expect: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if expect(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.1)
