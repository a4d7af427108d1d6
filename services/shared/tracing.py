"""OpenTelemetry traces across the services: a span per handled run of events, whose parent is
the span that stored the event (its `traceparent` travels as a Kafka header from the outbox),
carrying the business correlation id. Exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is
set, or as JSON lines to JINQIU_TRACES_FILE; with neither, tracing costs nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context

TRACER = trace.get_tracer("jinqiu")


def configure(service: str, traces_file: str | None) -> None:
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if not (endpoint or traces_file):
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"jinqiu-{service}"}))
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if traces_file:
        provider.add_span_processor(BatchSpanProcessor(JsonLinesExporter(traces_file)))
    trace.set_tracer_provider(provider)


def context_from(headers: Sequence[tuple[str, bytes]] | None) -> Context:
    """The trace context a record carries in its headers (empty if none)."""
    carrier = {k: v.decode(errors="replace") for k, v in headers or ()}
    return propagate.extract(carrier)


def recorded(headers: Sequence[tuple[str, bytes]] | None) -> bool:
    """False when a record's trace is one the sampler chose not to record (W3C `traceparent`
    flags without the sampled bit): a span under it would record nothing, and making one per
    event of a run was a tenth of intake's time following the season (1% of filings traced)."""
    for key, value in headers or ():
        if key == "traceparent":
            try:
                return bool(int(value[-2:], 16) & 1)
            except ValueError:
                return True
    return True


def carried(headers: Sequence[tuple[str, bytes]] | None) -> list[list[str]]:
    """A record's own trace context as outbox headers: what it causes stays in its trace."""
    return [[key, value.decode(errors="replace")] for key, value in headers or ()
            if key in ("traceparent", "tracestate")]


def links_to(headers_of_records) -> list[trace.Link]:
    """Links to the spans that stored the other events of a batch handled together."""
    links = []
    for headers in headers_of_records:
        span = trace.get_current_span(context_from(headers))
        if span.get_span_context().is_valid:
            links.append(trace.Link(span.get_span_context()))
    return links


def headers_of(span: trace.Span) -> list[list[str]]:
    """A span's trace context as outbox headers (`traceparent`)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return [[k, v] for k, v in carrier.items()]


def current_headers() -> list[list[str]]:
    """The current trace context as outbox headers (`traceparent`), empty when not tracing."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [[k, v] for k, v in carrier.items()]


class JsonLinesExporter:
    """One JSON object per finished span, appended to a file: enough to follow a trace by hand
    or in a test, with no collector running."""

    def __init__(self, path: str) -> None:
        self.path = path

    def export(self, spans) -> object:
        from opentelemetry.sdk.trace.export import SpanExportResult

        with open(self.path, "a", encoding="utf-8") as out:
            for span in spans:
                out.write(json.dumps({
                    "name": span.name, "service": span.resource.attributes.get("service.name"),
                    "trace_id": f"{span.context.trace_id:032x}", "span_id": f"{span.context.span_id:016x}",
                    "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
                    "links": [f"{link.context.trace_id:032x}" for link in span.links],
                    "attributes": dict(span.attributes or {}),
                }, ensure_ascii=False) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
