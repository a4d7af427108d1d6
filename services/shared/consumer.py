"""The consume loop every service uses: batches, one DB transaction and one offset commit each.

Per batch: decode each record (undecodable → dead letter), claim all event ids in the inbox at
once (a redelivery changes nothing), check the publisher's authority (refused → dead letter),
run the handlers. If a handler fails (a refusal, `Refused`, or a bug) the batch is rolled back
and replayed carefully, each handler in a savepoint: the failing event goes to the dead-letter
topic with its reason and the rest go on. Infrastructure errors abort the batch: nothing is
committed, the offsets are rewound (nack), and the batch is retried after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter as CounterOf
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson
import structlog
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import ValidationError

from contracts.base import Event
from contracts.envelope import TYPE_PREFIX, Envelope
from contracts.registry import BY_NAME, UnknownEventType, decode
from contracts.topics import DEAD_LETTER, DEAD_LETTER_REASON_HEADER, DEAD_LETTER_SOURCE_HEADER, Topic
from services.shared import eventstore, inbox, metrics, outbox, tracing
from services.shared.authority import Authority
from services.shared.backoff import Backoff
from services.shared.errors import Refused
from services.shared.logging import bind_correlation
from services.shared.settings import Settings

log = structlog.get_logger(__name__)

# Errors that say nothing about the event: roll the batch back and try it again.
INFRASTRUCTURE_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    eventstore.ConcurrencyError,
    OSError,
)


@dataclass(frozen=True)
class HandlerContext:
    conn: asyncpg.Connection
    envelope: Envelope
    source: str
    authority: Authority
    trace_headers: list[list[str]] | None = None  # the event's own span, in a run handled at once

    def flow(self) -> eventstore.Flow:
        """The business flow what this event causes continues: its correlation id, its trace,
        its org, and itself as the cause (where one append answers a whole run)."""
        return eventstore.Flow(self.envelope.correlationid, self.trace_headers or outbox.headers_now(),
                               orgcode=self.envelope.orgcode, causationid=self.envelope.id)


Handler = Callable[[HandlerContext, Any], Awaitable[None]]


@dataclass(frozen=True)
class Many:
    """A handler that takes a run of consecutive events of one type at once, as (context, event)
    pairs: fewer round trips for the busiest events. In a careful replay it gets one at a time."""

    handle: Callable[[list[tuple[HandlerContext, Any]]], Awaitable[None]]
    others_only: str | None = None
    """A source (e.g. `/jinqiu/intake`) whose own events of this type have nothing to do here
    when they come back from Kafka: passed over before they are validated."""


@dataclass
class Tally:
    """What one pass over a batch did; counted in the metrics only once that pass commits."""

    handled: CounterOf[str] = field(default_factory=CounterOf)
    dead: CounterOf[str] = field(default_factory=CounterOf)

    def publish(self, service: str) -> None:
        for event_type, n in self.handled.items():
            metrics.EVENTS_HANDLED.labels(service, event_type).inc(n)
        for code, n in self.dead.items():
            metrics.DEAD_LETTERS.labels(service, code).inc(n)


async def dead_letter(conn: asyncpg.Connection, record: ConsumerRecord, reason: str, source: str,
                      tally: Tally | None = None) -> None:
    log.warning("dead_lettered", topic=record.topic, offset=record.offset, reason=reason)
    if tally is not None:
        tally.dead[reason.split(":", 1)[0]] += 1
    headers = [
        ("content-type", b"application/octet-stream"),
        (DEAD_LETTER_REASON_HEADER, reason[:1000].encode()),
        (DEAD_LETTER_SOURCE_HEADER, f"{source}:{record.topic}/{record.partition}@{record.offset}".encode()),
    ]
    key = record.key.decode(errors="replace") if record.key else None
    await outbox.enqueue(conn, DEAD_LETTER.name, key, record.value or b"", headers)


class _HandlerFailed(Exception):
    """A handler failed in the fast pass: the batch is rolled back and replayed carefully."""


async def _decode(conn: asyncpg.Connection, record: ConsumerRecord, parsed: object, source: str,
                  tally: Tally) -> tuple[Envelope, Event] | None:
    """The envelope and event of a record already parsed as JSON (None: it was not JSON)."""
    try:
        if not isinstance(parsed, dict):
            raise ValueError("not a JSON object")
        envelope = Envelope.model_validate(parsed)
        return envelope, decode(envelope)
    except (ValidationError, UnknownEventType, ValueError) as exc:
        await dead_letter(conn, record, f"undecodable: {exc}", source, tally)
        return None


def _parse(value: bytes | None) -> object:
    try:
        return orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None


def _event_name(parsed: object) -> str | None:
    """`application.submitted` from a parsed record's CloudEvents `type`, without validating the rest."""
    type_name = parsed.get("type") if isinstance(parsed, dict) else None
    return type_name.removeprefix(TYPE_PREFIX).rpartition(".v")[0] if isinstance(type_name, str) else None


Admitted = tuple[ConsumerRecord, Envelope, Event]


async def _admit(conn: asyncpg.Connection, records: tuple[ConsumerRecord, ...], handlers: Mapping[type[Event], Handler | Many],
                 source: str, authority: Authority, tally: Tally) -> list[Admitted]:
    """The records this service handles, decoded, seen for the first time, from whoever may send them.
    Another service's events are passed over unvalidated (a cheap look at their `type`): the
    full decode is for the events handled here, and for what no service knows (a dead letter)."""
    wanted = []
    others = BY_NAME.keys() - {event_type.NAME for event_type in handlers}
    own = {t.NAME: h.others_only for t, h in handlers.items() if isinstance(h, Many) and h.others_only}
    for record in records:
        parsed = _parse(record.value)
        name = _event_name(parsed)
        if name in others or (name in own and parsed.get("source") == own[name]):
            continue
        decoded = await _decode(conn, record, parsed, source, tally)
        if decoded and type(decoded[1]) in handlers:
            wanted.append((record, *decoded))
    fresh = await inbox.claim_many(conn, [envelope.id for _, envelope, _ in wanted]) if wanted else set()
    admitted = []
    for record, envelope, event in wanted:
        if envelope.id not in fresh:
            continue  # a redelivery, or the same event twice in this batch
        fresh.discard(envelope.id)
        try:
            authority.check_event(envelope, event)
        except Refused as refusal:
            log.warning("event_refused", code=refusal.code, orgcode=envelope.orgcode, type=envelope.type)
            await dead_letter(conn, record, f"{refusal.code}: {refusal.message}", source, tally)
            continue
        admitted.append((record, envelope, event))
    return admitted


def _runs(admitted: list[Admitted], handlers: Mapping[type[Event], Handler | Many], careful: bool) -> list[list[Admitted]]:
    """Consecutive events of one type whose handler takes `Many` form one run (fast pass only)."""
    runs: list[list[Admitted]] = []
    for item in admitted:
        joins = (not careful and runs and isinstance(handlers[type(item[2])], Many)
                 and type(runs[-1][0][2]) is type(item[2]))
        if joins:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _span(run: list[Admitted]):
    """A span per run of events, child of the span that stored its first event upstream and
    linked to those of the others."""
    first_record, first = run[0][0], run[0][1]
    return tracing.TRACER.start_as_current_span(
        f"handle {first.event_name}", context=tracing.context_from(first_record.headers),
        links=tracing.links_to(record.headers for record, _, _ in run[1:64]),
        attributes={"jinqiu.correlation_id": first.correlationid or "", "jinqiu.event_id": first.id,
                    "jinqiu.events": len(run), "messaging.destination.name": first_record.topic})


def _own_span(record: ConsumerRecord, envelope: Envelope):
    if not tracing.recorded(record.headers):
        return None
    return tracing.TRACER.start_span(f"handle {envelope.event_name}", context=tracing.context_from(record.headers),
                                     attributes={"jinqiu.correlation_id": envelope.correlationid or "",
                                                 "jinqiu.event_id": envelope.id})


def _passed_on(record: ConsumerRecord, span) -> list[list[str]]:
    """The trace context an event of a run hands on to what it causes: its own span's, or the
    one it came with where its trace is not recorded."""
    return tracing.headers_of(span) if span else tracing.carried(record.headers)


@contextlib.contextmanager
def _ending(spans: list) -> Iterator[None]:
    try:
        yield
    finally:
        for span in spans:
            if span is not None:
                span.end()


async def _apply(conn: asyncpg.Connection, records: tuple[ConsumerRecord, ...],
                 handlers: Mapping[type[Event], Handler | Many], source: str, authority: Authority,
                 careful: bool) -> Tally:
    """One pass over a batch. Fast: no savepoints, any handler error aborts the pass. Careful:
    each event alone in a savepoint, a failing event goes to the dead-letter topic, the rest go on."""
    tally = Tally()
    for run in _runs(await _admit(conn, records, handlers, source, authority, tally), handlers, careful):
        handler = handlers[type(run[0][2])]
        # In a run, each event also gets its own span in its own trace (where that trace is
        # recorded; else its context is passed on as it came), and what it causes carries it on.
        spans = [_own_span(record, envelope) for record, envelope, _ in run] if len(run) > 1 else []
        items = [(HandlerContext(conn, envelope, source, authority, _passed_on(record, span) if spans else None), event)
                 for (record, envelope, event), span in zip(run, spans or [None] * len(run), strict=True)]
        bind_correlation(run[0][1].correlationid, run[0][1].id)
        try:
            with _span(run), _ending(spans):
                async with conn.transaction() if careful else contextlib.nullcontext():
                    await (handler.handle(items) if isinstance(handler, Many) else handler(*items[0]))
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as exc:  # a handler bug or a refusal must not stop the partition
            if not careful:
                raise _HandlerFailed from exc
            reason = str(exc) if isinstance(exc, Refused) else f"{type(exc).__name__}: {exc}"
            await dead_letter(conn, run[0][0], reason, source, tally)
            continue
        tally.handled[run[0][2].NAME] += len(run)
    return tally


async def handle_batch(
    pool: asyncpg.Pool, records: tuple[ConsumerRecord, ...], handlers: Mapping[type[Event], Handler | Many], source: str,
    authority: Authority,
) -> int:
    """Applies a batch in one transaction; returns how many events changed state."""
    service = source.rsplit("/", 1)[-1]
    with metrics.BATCH_SECONDS.labels(service).time():
        async with pool.acquire() as conn:
            try:
                async with conn.transaction():
                    tally = await _apply(conn, records, handlers, source, authority, careful=False)
            except _HandlerFailed:
                async with conn.transaction():
                    tally = await _apply(conn, records, handlers, source, authority, careful=True)
    tally.publish(service)
    return sum(tally.handled.values())


async def _not_decoded(_: object) -> None:
    """The records are read raw (`_parse`, orjson, only as far as each needs): FastStream's own
    decoding made a message object and parsed the JSON of each record again (a sixth of a
    consumer's time, profiled), for nothing."""
    return None


def subscribe(
    broker: KafkaBroker,
    settings: Settings,
    *,
    topics: tuple[Topic, ...],
    group_id: str,
    pool_getter: Callable[[], asyncpg.Pool],
    handlers: Mapping[type[Event], Handler | Many],
    source: str,
    authority: Authority,
) -> None:
    """Register one batch subscriber; offsets are committed only after the DB commit (ack).
    A batch that fails for want of the database is rewound and retried after a growing pause."""
    backoff = Backoff()

    @broker.subscriber(
        *(t.physical(settings.namespace) for t in topics),
        group_id=settings.namespace + group_id,
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=max(1000, settings.session_timeout_ms // 4),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=f"{group_id}:{'+'.join(t.name for t in topics)}",
        decoder=_not_decoded,
    )
    async def consume(msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        try:
            await handle_batch(pool_getter(), records, handlers, source, authority)
        except INFRASTRUCTURE_ERRORS as exc:
            delay = backoff.next_delay()
            log.warning("batch_failed_will_retry", group=group_id, size=len(records), error=repr(exc)[:300],
                        attempt=backoff.failures, retry_in_s=round(delay, 2))
            await asyncio.sleep(delay)
            raise
        backoff.reset()
