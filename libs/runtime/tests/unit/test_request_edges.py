"""Every request continues its caller's trace (or starts one), logs one access line and is
counted, with spans not exported (the default)."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Blueprint
from prometheus_client import REGISTRY

from clinic_runtime import web
from clinic_runtime.logging import JsonFormatter
from clinic_runtime.settings import ServiceSettings
from clinic_runtime.tracing import current_trace_id, current_traceparent

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


def make_app():
    seen = []
    blueprint = Blueprint("edges", __name__)

    @blueprint.get("/clinics/<clinic_id>/trace")
    def traced(clinic_id):
        seen.append((current_traceparent(), current_trace_id()))
        return {"clinic": clinic_id}

    @blueprint.get("/clinics/<clinic_id>/refusal")
    def refusal(clinic_id):
        raise web.Problem(409, "slot-taken", "Taken.")

    app = web.create_web_app(ServiceSettings(service_name="edges", http_port=1), None, [blueprint])
    return app, seen


@pytest.fixture
def access_lines():
    lines: list[dict] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(self.format(record)))

    handler = Collect()
    handler.setFormatter(JsonFormatter("edges"))
    logger = logging.getLogger("clinic_runtime.web")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_the_callers_trace_reaches_upstream_calls_and_the_access_line(access_lines):
    app, seen = make_app()
    client = app.test_client()
    client.get("/clinics/c-1/trace", headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-00",
                                              "X-Correlation-ID": "corr-7"})
    client.get("/clinics/c-2/trace")
    (first, first_id), (second, second_id) = seen
    assert first.startswith(f"00-{CALLER_TRACE}-") and first.endswith("-00") and first_id == CALLER_TRACE
    assert second_id not in (None, CALLER_TRACE) and second.split("-")[1] == second_id
    assert [line["trace_id"] for line in access_lines] == [CALLER_TRACE, second_id]
    assert access_lines[0]["correlation_id"] == "corr-7"


def test_an_access_line_names_the_route_and_never_the_path(access_lines):
    app, _ = make_app()
    response = app.test_client().get("/clinics/ana@example.com/refusal", headers={"X-Correlation-ID": "corr-9"})
    line, = access_lines
    assert {key: line[key] for key in ("level", "service", "logger", "message", "method", "route", "status")} == {
        "level": "info", "service": "edges", "logger": "clinic_runtime.web", "message": "http request",
        "method": "GET", "route": "/clinics/<clinic_id>/refusal", "status": 409}
    assert line["correlation_id"] == "corr-9" == response.headers["X-Correlation-ID"]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(line["duration_ms"], float) and "ana" not in json.dumps(line)


def test_every_request_is_counted_under_its_route_method_and_status():
    app, _ = make_app()
    client = app.test_client()

    def served(route, status):
        labels = {"service": "edges", "method": "GET", "route": route, "status": status}
        return REGISTRY.get_sample_value("clinic_http_requests_total", labels) or 0

    def timed(route):
        labels = {"service": "edges", "method": "GET", "route": route}
        return REGISTRY.get_sample_value("clinic_http_request_duration_seconds_count", labels) or 0

    before = served("/clinics/<clinic_id>/trace", "200"), served("/clinics/<clinic_id>/refusal", "409"), \
        served("unmatched", "404"), timed("/clinics/<clinic_id>/trace")
    for path in ("/clinics/a/trace", "/clinics/b/trace", "/clinics/a/refusal", "/nowhere"):
        client.get(path)
    after = served("/clinics/<clinic_id>/trace", "200"), served("/clinics/<clinic_id>/refusal", "409"), \
        served("unmatched", "404"), timed("/clinics/<clinic_id>/trace")
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 2]


def test_a_method_outside_http_s_usual_ones_is_counted_as_other_so_clients_mint_no_series():
    app, _ = make_app()
    client = app.test_client()

    def served(method):
        labels = {"service": "edges", "method": method, "route": "unmatched", "status": "405"}
        return REGISTRY.get_sample_value("clinic_http_requests_total", labels) or 0

    before = served(web.OTHER_METHOD), served("DELETE")
    for method in ("FROBNICATE", "XQZ1", "DELETE"):
        client.open("/clinics/a/trace", method=method)
    after = served(web.OTHER_METHOD), served("DELETE")

    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1]
    assert served("FROBNICATE") == served("XQZ1") == 0
    assert REGISTRY.get_sample_value("clinic_http_request_duration_seconds_count", {
        "service": "edges", "method": "FROBNICATE", "route": "unmatched"}) is None
