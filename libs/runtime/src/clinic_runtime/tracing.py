"""OpenTelemetry: one tracer provider per process, spans carried across HTTP and the broker.

Trace context is always created and carried (so `traceparent` flows through events and logs can
carry a trace id); spans are recorded and exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set
(or when an upstream caller sampled the trace), so an unobserved process pays little for them.
SQL statements get spans only where spans are exported (clinic_runtime.web).

An exported span carries no personal data: a request's raw target (a staff search's query holds a
patient's name, email or phone number) and the caller's address are dropped, keeping the route
template, and error texts (a database error quotes the values it refused) are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace import Status
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()

# The raw request target (path and query) under every semantic-convention version the Flask and
# WSGI instrumentations write, and the caller's address: the logs leave these out too.
UNEXPORTED_ATTRIBUTES = frozenset({
    "http.target", "http.url", "url.full", "url.path", "url.query",
    "net.peer.ip", "client.address", "http.client_ip",
})
# An exception event keeps what failed, not its message or traceback, which quote the values.
EXPORTED_EXCEPTION_ATTRIBUTES = frozenset({"exception.type", "exception.escaped"})


def configure_tracing(service_name: str, otlp_endpoint: str) -> TracerProvider:
    """Install this process's tracer provider; a provider installed earlier (by a test) is kept,
    since OpenTelemetry allows setting it only once per process."""
    installed = trace.get_tracer_provider()
    if isinstance(installed, TracerProvider):
        return installed
    # Without an exporter nothing would ever read a recorded span: new traces are then not sampled.
    # Their ids still flow (traceparent, log fields); a trace an upstream sampled is recorded.
    sampler = ParentBased(ALWAYS_ON if otlp_endpoint else ALWAYS_OFF)
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}), sampler=sampler)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        export_spans(provider, OTLPSpanExporter(endpoint=otlp_endpoint))
    trace.set_tracer_provider(provider)
    return provider


def export_spans(provider: TracerProvider, exporter: SpanExporter) -> None:
    """Send `provider`'s finished spans to `exporter`, each first stripped of personal data."""
    provider.add_span_processor(WithoutPersonalData(BatchSpanProcessor(exporter)))


class WithoutPersonalData(SpanProcessor):
    """Hands `exporting` a copy of each finished span without personal data (see the module's
    docstring). A copy, because a finished span is read-only, and the instrumentations set these
    attributes after any hook of theirs runs."""

    def __init__(self, exporting: SpanProcessor) -> None:
        self._exporting = exporting

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._exporting.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._exporting.on_end(without_personal_data(span))

    def shutdown(self) -> None:
        self._exporting.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporting.force_flush(timeout_millis)


def without_personal_data(span: ReadableSpan) -> ReadableSpan:
    attributes = {k: v for k, v in (span.attributes or {}).items() if k not in UNEXPORTED_ATTRIBUTES}
    name = span.name
    if span.kind is trace.SpanKind.SERVER and "http.route" not in attributes:
        # No route matched: the instrumentation named the span after the raw path.
        name = name.split(" ", 1)[0]
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=[_without_message(event) for event in span.events],
        links=span.links,
        kind=span.kind,
        # The span says that it failed; the log line of the failure, which carries the trace id,
        # says why, with contact data masked.
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _without_message(event: Event) -> Event:
    if event.name != "exception":
        return event
    kept = {k: v for k, v in (event.attributes or {}).items() if k in EXPORTED_EXCEPTION_ATTRIBUTES}
    return Event(event.name, kept, event.timestamp)


@cache
def tracer() -> trace.Tracer:
    # Asked for per consumed event; the provider makes a new tracer on every call. One provider
    # per process (see configure_tracing), and a tracer got before it was installed follows it.
    return trace.get_tracer("clinic_runtime")


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


@contextmanager
def continued_span(name: str, traceparent: str | None, **attributes: str) -> Iterator[trace.Span]:
    """A consumer span that continues the producer's trace."""
    parent = _propagator.extract({"traceparent": traceparent} if traceparent else {})
    token = otel_context.attach(parent)
    try:
        with tracer().start_as_current_span(name, kind=trace.SpanKind.CONSUMER, attributes=attributes) as span:
            yield span
    finally:
        otel_context.detach(token)
