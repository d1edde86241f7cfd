"""What operators see of catalog's web process: probes, metrics and logs."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration


UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/catalog"


@pytest.fixture
def client_without_database(catalog_environment, build_app):
    """The app with its database down: what liveness and metrics must survive."""
    catalog_environment(UNREACHABLE_DATABASE)
    return build_app().test_client()


def test_healthz_answers_ok_even_when_the_database_is_down(client_without_database):
    response = client_without_database.get("/healthz")

    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_requires_the_database_migrated_and_only_reports_the_broker(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    checks = response.get_json()["checks"]
    assert checks["database"] == {"ok": True, "detail": "migrated", "required": True}
    # The test's broker is a closed port: the web process stays in rotation, marked degraded.
    assert (checks["broker"]["ok"], checks["broker"]["required"]) == (False, False)
    assert response.get_json()["status"] == "degraded"


@pytest.mark.parametrize(
    "unreachable",
    [
        pytest.param(UNREACHABLE_DATABASE, id="postgresql"),
        pytest.param("sqlite:////nonexistent-directory/catalog.db", id="sqlite"),
    ],
)
def test_readyz_is_not_ready_when_the_database_cannot_be_reached(catalog_environment, build_app, unreachable):
    catalog_environment(unreachable)

    response = build_app().test_client().get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready"
    assert (body["checks"]["database"]["ok"], body["checks"]["database"]["required"]) == (False, True)


def test_metrics_count_requests_by_route_template_and_status(client_without_database):
    client = client_without_database
    client.post("/clinics/", data="x", content_type="text/plain")  # no such route: 404
    client.post("/clinics", data="slug=dental-care-cluj", content_type="text/plain")  # 415, before the database

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "# TYPE clinic_http_requests_total counter" in text
    counted = [line for line in text.splitlines()
               if line.startswith("clinic_http_requests_total{") and 'service="catalog"' in line]
    assert any('method="POST"' in line and 'route="/clinics"' in line and 'status="415"' in line for line in counted)
    # A path no route matches is counted as "unmatched", so raw paths never become label values.
    assert any('route="unmatched"' in line and 'status="404"' in line for line in counted)
    assert 'route="/clinics/"' not in text


def test_logs_are_json_lines_that_never_carry_an_email_address(catalog_database, build_app, clinic_body, capsys):
    # The app is built inside the test so its log handler writes to the captured stderr.
    client = build_app().test_client()
    capsys.readouterr()

    client.post("/clinics", json=clinic_body(name="Dr. Jane jane.doe@example.com"),
                headers={"X-Correlation-ID": "log-check-1"})
    client.post("/clinics", json=clinic_body(slug="jane.doe@example.com", timezone="jane.doe@example.com"),
                headers={"X-Correlation-ID": "log-check-2"})
    client.get("/clinics/jane.doe@example.com")

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    requests = [line for line in lines if line["message"] == "http request"]
    assert [(r["route"], r["status"], r.get("correlation_id")) for r in requests][:2] == [
        ("/clinics", 201, "log-check-1"), ("/clinics", 422, "log-check-2"),
    ]
    assert all(line["service"] == "catalog" for line in lines)
    assert not [line for line in lines if "jane.doe" in json.dumps(line)]
