"""Exported spans of a web process carry no personal data: a staff search's query and a
refused statement's values stay in the process (OTEL_EXPORTER_OTLP_ENDPOINT set)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Blueprint, request
from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from clinic_runtime.db import make_engine
from clinic_runtime.settings import ServiceSettings
from clinic_runtime.tracing import configure_tracing, export_spans
from clinic_runtime.web import create_web_app, db

pytestmark = pytest.mark.integration

# A sampled caller: recorded whichever provider this test process installed first.
TRACEPARENT = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
PERSONAL = ("Maria", "Popescu", "maria.popescu@example.ro", "0722123456", "198.51.100.7")

patients = sa.Table("patients", sa.MetaData(), sa.Column("email", sa.Text, unique=True))


@pytest.fixture(scope="module")
def exported() -> InMemorySpanExporter:
    # Spans are exported here, not over OTLP: install the provider before the app would.
    provider = configure_tracing("span-export", "")
    spans = InMemorySpanExporter()
    export_spans(provider, spans)
    return spans


@pytest.fixture
def client(postgres_url, exported):
    engine = make_engine(postgres_url)
    patients.create(engine)
    blueprint = Blueprint("patients", __name__)

    @blueprint.get("/clinics/<clinic_id>/patients")
    def search(clinic_id):
        db().execute(sa.select(patients).where(patients.c.email.contains(request.args["query"])))
        return {"patients": []}

    @blueprint.post("/clinics/<clinic_id>/patients")
    def register(clinic_id):
        db().execute(sa.insert(patients), {"email": request.json["email"]})
        return {}, 201

    settings = ServiceSettings(service_name="span-export", http_port=1,
                               otel_exporter_otlp_endpoint="http://127.0.0.1:1/v1/traces")
    exported.clear()
    yield create_web_app(settings, engine, [blueprint]).test_client()
    SQLAlchemyInstrumentor().uninstrument()
    engine.dispose()


def finished(exported: InMemorySpanExporter) -> list[ReadableSpan]:
    trace.get_tracer_provider().force_flush()
    return list(exported.get_finished_spans())


def everything_exported(span: ReadableSpan) -> str:
    events = [dict(event.attributes or {}) for event in span.events]
    return f"{span.name} {dict(span.attributes or {})} {span.status.description} {events}"


def test_a_search_span_keeps_the_route_and_not_the_name_searched_for(client, exported):
    response = client.get("/clinics/c-1/patients?query=Maria%20Popescu%200722123456",
                          headers={**TRACEPARENT, "X-Forwarded-For": "198.51.100.7"},
                          environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 200

    spans = finished(exported)
    [server] = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.attributes["http.route"] == "/clinics/<clinic_id>/patients"
    assert any(span.kind is SpanKind.CLIENT for span in spans), "the statement has its span"
    for span in spans:
        assert not any(value in everything_exported(span) for value in PERSONAL), everything_exported(span)


def test_a_refused_statement_is_exported_as_failed_without_the_values_it_quotes(client, exported):
    assert client.post("/clinics/c-1/patients", json={"email": "maria.popescu@example.ro"},
                       headers=TRACEPARENT).status_code == 201
    exported.clear()

    assert client.post("/clinics/c-1/patients", json={"email": "maria.popescu@example.ro"},
                       headers=TRACEPARENT).status_code == 500

    spans = finished(exported)
    [refused] = [span for span in spans if span.kind is SpanKind.CLIENT and span.status.status_code is StatusCode.ERROR]
    assert refused.status.description is None
    for span in spans:
        assert not any(value in everything_exported(span) for value in PERSONAL), everything_exported(span)


def test_a_path_no_route_matches_is_not_exported(client, exported):
    client.get("/patients/maria.popescu@example.ro", headers=TRACEPARENT)

    [server] = [span for span in finished(exported) if span.kind is SpanKind.SERVER]
    assert "maria" not in everything_exported(server)
