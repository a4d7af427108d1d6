"""Prometheus metrics an operator reads: events handled, batch latency, dead letters, outbox
backlog and age, consumer lag. FastStream's own middleware adds its per-message figures."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

log = structlog.get_logger(__name__)

EVENTS_HANDLED = Counter("jinqiu_events_handled_total", "Events that changed state, by service and type",
                         ["service", "type"])
BATCH_SECONDS = Histogram("jinqiu_batch_seconds", "Time to apply one consumed batch (one DB transaction)",
                          ["service"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
DEAD_LETTERS = Counter("jinqiu_dead_letters_total", "Events sent to the dead-letter topic, by reason code",
                       ["service", "reason"])
OUTBOX_BACKLOG = Gauge("jinqiu_outbox_backlog", "Events stored but not yet published", ["service"])
OUTBOX_AGE = Gauge("jinqiu_outbox_oldest_seconds", "Age of the oldest unpublished event", ["service"])
LEADER_BACKLOG = Gauge("jinqiu_leader_backlog", "Work waiting for a one-at-a-time task (the ledger sequencer: "
                       "postings not yet chained)", ["service", "task"])
CONSUMER_LAG = Gauge("jinqiu_consumer_lag", "Records on the broker not yet consumed by the group", ["group"])


def serve(port: int | None) -> None:
    """Expose /metrics on `port` (none when unset; intake also serves it on its HTTP port)."""
    if port:
        start_http_server(port, addr="0.0.0.0", registry=REGISTRY)
        log.info("metrics_served", port=port)


async def sample_outbox(pool: asyncpg.Pool, service: str) -> None:
    row = await pool.fetchrow("SELECT count(*) AS backlog, "
                              "coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age FROM outbox")
    OUTBOX_BACKLOG.labels(service).set(row["backlog"])
    OUTBOX_AGE.labels(service).set(float(row["age"]))


async def sample_forever(pool: asyncpg.Pool, service: str, lag_of_groups, leaders=(), every: float = 10.0) -> None:
    """Refresh the sampled gauges until cancelled; a failed sample is skipped, never fatal."""
    while True:
        with contextlib.suppress(Exception):
            await sample_outbox(pool, service)
            for leader in leaders:
                LEADER_BACKLOG.labels(service, leader.lock_name.split(":")[0]).set(await leader.pending())
            for group, lag in (await lag_of_groups()).items():
                CONSUMER_LAG.labels(group).set(lag)
        await asyncio.sleep(every)
