"""What leaves the process as a span: the route, never the raw request target, the caller's
address or an error's text, under either semantic-convention version the instrumentations write."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from clinic_runtime.tracing import export_spans

SEARCH = {
    "http.route": "/clinics/<clinic_id>/patients",
    "http.target": "/clinics/c-1/patients?query=Maria%20Popescu",
    "http.url": "http://gateway/clinics/c-1/patients?query=Maria%20Popescu",
    "url.full": "http://gateway/clinics/c-1/patients?query=Maria%20Popescu",
    "url.path": "/clinics/c-1/patients",
    "url.query": "query=Maria%20Popescu",
    "net.peer.ip": "198.51.100.7",
    "client.address": "198.51.100.7",
    "http.method": "GET",
}
REFUSAL = ('duplicate key value violates unique constraint "patients_email_key"\n'
           "DETAIL:  Key (email)=(maria.popescu@example.ro) already exists.")


@pytest.fixture
def exported():
    provider = TracerProvider()
    spans = InMemorySpanExporter()
    export_spans(provider, spans)

    def finished():
        provider.force_flush()
        return spans.get_finished_spans()

    yield provider.get_tracer("test"), finished
    provider.shutdown()


def test_a_request_span_keeps_its_route_and_method_but_not_its_target_or_caller(exported):
    tracer, finished = exported
    with tracer.start_as_current_span("GET /clinics/<clinic_id>/patients", kind=SpanKind.SERVER, attributes=SEARCH):
        pass

    [span] = finished()
    assert dict(span.attributes) == {"http.route": "/clinics/<clinic_id>/patients", "http.method": "GET"}
    assert span.name == "GET /clinics/<clinic_id>/patients"


def test_a_request_no_route_matched_is_named_by_its_method_alone(exported):
    tracer, finished = exported
    with tracer.start_as_current_span("GET /patients/maria.popescu@example.ro", kind=SpanKind.SERVER):
        pass

    assert finished()[0].name == "GET"


def test_a_failure_is_exported_as_failed_without_its_text(exported):
    tracer, finished = exported
    with pytest.raises(ValueError), tracer.start_as_current_span("clinic.PatientRegistered process",
                                                                 kind=SpanKind.CONSUMER):
        raise ValueError(REFUSAL)

    [span] = finished()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description is None
    [event] = span.events
    assert dict(event.attributes) == {"exception.type": "ValueError", "exception.escaped": "False"}
