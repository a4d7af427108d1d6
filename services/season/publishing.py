"""Union levels publishing their own facts to Kafka, each signed under its own org code."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer

from contracts.base import Event
from contracts.envelope import kafka_headers
from services.shared.authority import Authority

CAMPAIGN_ORG = "340000"  # who publishes facts that act on no org (the campaign clock)


async def publish_as_unions(producer: AIOKafkaProducer, authority: Authority, events: list[Event],
                            namespace: str = "") -> None:
    """Union levels publishing their own facts, each signed under its own org code."""
    sends = []
    for event in events:
        org = getattr(event, event.ACTING_ORG_FIELD) if event.ACTING_ORG_FIELD else CAMPAIGN_ORG
        envelope = authority.sign_as(event.to_envelope(source=f"/union/{org}", orgcode=org,
                                                       correlationid=str(uuid.uuid4())))
        sends.append(await producer.send(event.TOPIC.physical(namespace), envelope.to_bytes(),
                                         key=event.key.encode(), headers=kafka_headers()))
    await asyncio.gather(*sends)
