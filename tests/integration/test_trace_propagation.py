"""A trace started by a client crosses HTTP into catalog, rides the event envelope through the
outbox, and continues in scheduling's consumer: one trace id from the request to the read model."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import select

from clinic_contracts import Envelope
from clinic_runtime.db import make_engine, make_session_factory
from clinic_runtime.messaging.consumers import apply_delivered
from clinic_runtime.messaging.tables import outbox
from clinic_runtime.migrations import upgrade

pytestmark = pytest.mark.integration

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def test_one_trace_runs_from_the_request_through_the_event_to_the_consumer(
    spans, create_database, monkeypatch
):
    from catalog.entrypoints import migrate as catalog_migrate
    from catalog.entrypoints.web import create_app
    from scheduling.entrypoints import migrate as scheduling_migrate
    from scheduling.entrypoints.consumers import handlers

    catalog_db, scheduling_db = create_database("catalog"), create_database("scheduling")
    upgrade(catalog_migrate.MIGRATIONS, catalog_db)
    upgrade(scheduling_migrate.MIGRATIONS, scheduling_db)
    monkeypatch.setenv("DATABASE_URL", catalog_db)
    client = create_app().test_client()

    response = client.post(
        "/clinics",
        json={"slug": "traced", "name": "Traced", "timezone": "UTC", "currency": "EUR", "locale": "en"},
        headers={"traceparent": f"00-{TRACE_ID}-{CLIENT_SPAN}-01", "X-Correlation-ID": "trace-test"},
    )
    assert response.status_code == 201

    with make_engine(catalog_db).connect() as c:
        envelope = Envelope.model_validate_json(c.execute(select(outbox.c.body)).scalar_one())
    assert envelope.traceparent.split("-")[1] == TRACE_ID
    assert envelope.correlationid == "trace-test"

    spans.clear()
    assert apply_delivered(handlers, make_session_factory(make_engine(scheduling_db)), envelope) is True
    consumer = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.CONSUMER]
    assert consumer, "the consumer recorded a span"
    assert format(consumer[0].context.trace_id, "032x") == TRACE_ID
    assert format(consumer[0].parent.span_id, "016x") == envelope.traceparent.split("-")[2]
