"""OpenTelemetry: one tracer provider per process, spans carried across HTTP and the broker.

Trace context is always created and carried (so `traceparent` flows through events and logs can
carry a trace id); spans are recorded and exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set
(or when an upstream caller sampled the trace), so an unobserved process pays little for them.
SQL statements get spans only where spans are exported (clinic_runtime.web).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()


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

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)
    return provider


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
