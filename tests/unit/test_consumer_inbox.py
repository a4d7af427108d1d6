"""The consume loop in memory, through a ten-line fake of the connection: an event id is applied
once, whether it comes twice in one batch or again in a later one, and an event from a producer
not allowed to send its type never reaches its handler."""

import datetime as dt

from aiokafka.structs import ConsumerRecord

from contracts.reviews import ClockTicked
from services.shared import consumer
from services.shared.authority import Authority
from services.shared.orgs import load_tree
from tests.factories import TEST_KEYS
from tests.kafka_helpers import as_union


class FakeConnection:
    """The inbox's one statement (claim ids not seen before), and nothing else stored."""

    def __init__(self) -> None:
        self.inbox: set[str] = set()
        self.dead: list[str] = []

    async def fetch(self, _sql: str, ids: list[str]) -> list[dict]:
        fresh = [i for i in dict.fromkeys(ids) if i not in self.inbox]
        self.inbox.update(fresh)
        return [{"event_id": i} for i in fresh]

    async def execute(self, _sql: str, *args) -> None:
        self.dead.append(args[0])  # the outbox row of a dead letter: its topic


def record(envelope, offset: int) -> ConsumerRecord:
    return ConsumerRecord("jinqiu.clock", 0, offset, 0, 0, b"campaign", envelope.to_bytes(), None, 0, 0, [])


async def admitted(conn, records) -> list[str]:
    authority = Authority(load_tree(), TEST_KEYS)
    handlers = {ClockTicked: lambda ctx, event: None}
    found = await consumer._admit(conn, tuple(records), handlers, "/jinqiu/verification", authority, consumer.Tally())
    return [envelope.id for _, envelope, _ in found]


async def test_the_same_event_id_is_admitted_once_in_a_batch_and_across_batches():
    tick = ClockTicked(today=dt.date(2023, 8, 21))
    first, second = as_union(tick), as_union(tick)
    conn = FakeConnection()
    assert await admitted(conn, [record(first, 0), record(first, 1), record(second, 2)]) == [first.id, second.id]
    assert await admitted(conn, [record(first, 0), record(second, 2)]) == []  # redelivered after a crash
    assert conn.dead == []


async def test_an_event_from_a_producer_not_allowed_its_type_is_a_dead_letter_not_admitted():
    tick = ClockTicked(today=dt.date(2023, 8, 21))
    conn = FakeConnection()
    assert await admitted(conn, [record(as_union(tick, "340000"), 0)]) == []  # the province is not the scheduler
    assert conn.dead == ["jinqiu.deadletter"]


async def test_another_services_events_are_passed_over_and_an_unknown_type_is_a_dead_letter():
    from contracts.envelope import Envelope
    from contracts.funds import FundAllocated, FundSource

    allocation = FundAllocated(allocation_id="a", fund_source=FundSource.CENTRAL, from_org="340000", to_org="341602",
                               amount_fen=1, campaign_year=2023)
    broken = as_union(allocation).model_copy(update={"data": {"not": "an allocation"}})  # known type, bad data
    unknown = Envelope(source="/x", type="cn.jinqiu.nobody_knows.v1", data={})
    conn = FakeConnection()
    assert await admitted(conn, [record(as_union(allocation), 0), record(broken, 1), record(unknown, 2)]) == []
    assert conn.dead == ["jinqiu.deadletter"]  # only the type no service knows; the others are another's to judge
    assert conn.inbox == set()  # nothing passed over is claimed


async def test_in_a_run_only_recorded_traces_get_a_span_per_event_and_the_others_keep_their_own_context(monkeypatch):
    """With 1% of filings traced, most records carry a trace the sampler did not record: their
    events get no span of their own (it would record nothing), and what they cause stays in
    their trace as it came; a recorded trace, or a record with none, still gets its span."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from services.shared import tracing

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    monkeypatch.setattr(tracing, "TRACER", provider.get_tracer("test"))
    recorded_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    unrecorded_parent = "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-00"
    ticks = [as_union(ClockTicked(today=dt.date(2023, 8, 21 + n))) for n in range(3)]
    headers = [[("traceparent", recorded_parent.encode())], [("traceparent", unrecorded_parent.encode())], []]
    records = [ConsumerRecord("jinqiu.clock", 0, n, 0, 0, b"campaign", t.to_bytes(), None, 0, 0, h)
               for n, (t, h) in enumerate(zip(ticks, headers, strict=True))]
    seen: list = []

    async def handle(items):
        seen.extend(ctx.trace_headers for ctx, _ in items)

    handlers = {ClockTicked: consumer.Many(handle)}
    await consumer._apply(FakeConnection(), tuple(records), handlers, "/jinqiu/verification",
                          Authority(load_tree(), TEST_KEYS), careful=False)
    names = sorted(span.name for span in exported.get_finished_spans())
    assert names == ["handle clock.ticked"] * 3  # the run's span, and one each for the first and third event
    assert seen[0][0][0] == "traceparent" and seen[0][0][1].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert not seen[0][0][1].endswith("b7ad6b7169203331-01")  # its own span, child of the one that stored it
    assert seen[1] == [["traceparent", unrecorded_parent]]
    assert seen[2][0][1][3:35] not in {"0af7651916cd43dd8448eb211c80319c", "1af7651916cd43dd8448eb211c80319c"}
    assert tracing.recorded([("traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-03")])
    assert not tracing.recorded([("traceparent", unrecorded_parent.encode())]) and tracing.recorded([])
