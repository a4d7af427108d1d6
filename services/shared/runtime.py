"""Assembles one service: its pool and migrations, its FastStream subscribers, its outbox relay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import asyncpg
import structlog
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY

from contracts.access import writes
from contracts.base import Event
from contracts.topics import Topic
from services.shared import metrics
from services.shared.authority import Authority
from services.shared.consumer import Handler, Many, subscribe
from services.shared.db import create_pool, migrate
from services.shared.kafka import ensure_topics, faststream_security, group_lag, make_producer
from services.shared.leader import LeaderLoop
from services.shared.outbox import OutboxRelay
from services.shared.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Subscription:
    """One consumer group of the service (`<service>.<name>`) reading `topics`."""

    name: str
    topics: tuple[Topic, ...]
    handlers: Mapping[type[Event], Handler | Many]


@dataclass
class ServiceRuntime:
    """One service instance. Its schema and consumer group are its name; instances share both."""

    name: str
    package: str
    settings: Settings
    subscriptions: tuple[Subscription, ...]
    leaders: tuple[Callable[[ServiceRuntime], LeaderLoop], ...] = ()
    """Tasks one instance at a time runs besides the outbox relay (disbursement: the sequencer)."""
    authority: Authority | None = None
    pool: asyncpg.Pool | None = None
    broker: KafkaBroker | None = None
    relay: OutboxRelay | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _leaders: list[LeaderLoop] = field(default_factory=list)
    _producer: object | None = None

    @property
    def topics(self) -> tuple[Topic, ...]:
        """The topics this service reads or writes: it (re)creates them if missing."""
        return tuple({*writes(self.name), *(t for sub in self.subscriptions for t in sub.topics)})

    @property
    def source(self) -> str:
        return f"/jinqiu/{self.name}"

    async def start(self) -> None:
        s = self.settings
        self.authority = self.authority or Authority.from_settings(s, identity=self.name)
        held = 1 + len(self.leaders)  # the relay and each leader loop keep a connection (leading or standing by)
        self.pool = await create_pool(s.database_url, self.name, s.db_pool_size + held)
        await migrate(self.pool, self.name, self.package)
        self._producer = make_producer(s, self.name)
        await self._producer.start()
        await ensure_topics(s, self.name, self.topics)
        self.relay = OutboxRelay(self.pool, self.name, self._producer, s.namespace,
                                 recreate_topics=lambda: ensure_topics(s, self.name, self.topics))
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-relay"))
        self._leaders = [make(self) for make in self.leaders]
        self._tasks += [asyncio.create_task(leader.run(), name=f"{self.name}-{leader.lock_name}")
                        for leader in self._leaders]
        self.broker = KafkaBroker(s.kafka_bootstrap_servers, logger=structlog.get_logger(f"{self.name}.broker"),
                                  security=faststream_security(s, self.name),
                                  middlewares=[KafkaPrometheusMiddleware(registry=REGISTRY, app_name=self.name)])
        for sub in self.subscriptions:
            subscribe(self.broker, s, topics=sub.topics, group_id=f"{self.name}.{sub.name}",
                      pool_getter=lambda: self.pool, handlers=sub.handlers, source=self.source,
                      authority=self.authority)
        await self.broker.start()
        self._tasks.append(asyncio.create_task(
            metrics.sample_forever(self.pool, self.name, self._lags, self._leaders), name=f"{self.name}-metrics"))
        log.info("service_started", service=self.name)

    async def _lags(self) -> dict[str, int]:
        groups = [(f"{self.name}.{sub.name}", sub.topics) for sub in self.subscriptions]
        return {g: (await group_lag(self.settings, g, topics, self.name)).lag for g, topics in groups}

    async def stop(self) -> None:
        """Consumers first, then the leaders' and the outbox's work is finished, then the rest."""
        if self.broker:
            await self.broker.stop()
        if self.pool:
            for leader in self._leaders:
                await leader.drain()
        if self.relay and self.pool:
            await self.relay.drain()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._producer:
            await self._producer.stop()
        if self.pool:
            await self.pool.close()
        log.info("service_stopped", service=self.name)
