"""Union levels publishing their own facts to Kafka, each signed under its own org code; the
campaign clock published by the scheduler. Each connects to the broker as its own principal."""

from __future__ import annotations

import asyncio
import uuid

from contracts.access import SCHEDULER, UNION
from contracts.base import Event
from contracts.envelope import Envelope, kafka_headers
from services.shared.authority import Authority
from services.shared.kafka import make_producer
from services.shared.settings import Settings


def signed_as_publisher(event: Event, authority: Authority) -> tuple[str, Envelope]:
    """(broker principal, signed envelope): the acting union, or the scheduler for the clock."""
    correlation = str(uuid.uuid4())
    if event.ACTING_ORG_FIELD is None:
        envelope = event.to_envelope(source="/jinqiu/scheduler", correlationid=correlation)
        return SCHEDULER, authority.seal(envelope, SCHEDULER)
    org = getattr(event, event.ACTING_ORG_FIELD)
    envelope = event.to_envelope(source=f"/union/{org}", orgcode=org, correlationid=correlation)
    return UNION, authority.seal(envelope, org)


class Publishers:
    """The unions' and the scheduler's producers, as a season run or the demo drives them."""

    def __init__(self, settings: Settings, authority: Authority) -> None:
        self.settings, self.authority = settings, authority
        self.producers = {p: make_producer(settings, p) for p in (UNION, SCHEDULER)}

    async def start(self) -> None:
        await asyncio.gather(*(p.start() for p in self.producers.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.producers.values()), return_exceptions=True)

    async def publish(self, events: list[Event]) -> list[str]:
        """Send in order (one key's events keep their order); returns the envelopes' ids."""
        sends, ids = [], []
        for event in events:
            principal, envelope = signed_as_publisher(event, self.authority)
            ids.append(envelope.id)
            sends.append(await self.producers[principal].send(
                event.TOPIC.physical(self.settings.namespace), envelope.to_bytes(), key=event.key.encode(),
                headers=kafka_headers()))
        await asyncio.gather(*sends)
        return ids
