"""Bad input gets a 422 problem naming each bad field; nothing is written and no event is
published (every catalog table and the outbox are counted before and after)."""

from __future__ import annotations

import io
import uuid

import pytest

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7 x"
MONEY = {"amount_minor": 20000, "currency": "RON"}
SERVICE = {"name": "Physiotherapy session", "duration_minutes": 50, "price": MONEY}


@pytest.fixture
def setting(catalog, other_clinic):
    """A clinic with a specialist and a service; another clinic with its own specialist."""
    return {"provider": catalog.provider(), "foreign": catalog.provider(clinic=other_clinic),
            "service": catalog.service()}


def cases(setting):
    service = setting["service"]["id"]
    return [
        ("unknown specialist", "/services", {**SERVICE, "provider_ids": [str(uuid.uuid4())]}, ["provider_ids.0"]),
        ("another clinic's specialist", "/services", {**SERVICE, "provider_ids": [setting["foreign"]["id"]]},
         ["provider_ids.0"]),
        ("negative price", "/services", {**SERVICE, "price": {"amount_minor": -1, "currency": "RON"}},
         ["price.amount_minor"]),
        ("zero duration", "/services", {**SERVICE, "duration_minutes": 0}, ["duration_minutes"]),
        ("unknown currency", "/services", {**SERVICE, "price": {"amount_minor": 100, "currency": "XYZ"}},
         ["price.currency"]),
        ("price not an integer", "/services", {**SERVICE, "price": {"amount_minor": 99.5, "currency": "RON"}},
         ["price.amount_minor"]),
        ("duration as text", "/services", {**SERVICE, "duration_minutes": "50"}, ["duration_minutes"]),
        ("every problem at once", "/services",
         {**SERVICE, "duration_minutes": 0, "price": {"amount_minor": -1, "currency": "XYZ"},
          "provider_ids": [str(uuid.uuid4())]},
         ["duration_minutes", "price.amount_minor", "price.currency", "provider_ids.0"]),
        ("calendar range ending before it starts", f"/services/{service}/calendars",
         {"name": "Promo", "kind": "standard", "bookable_from": "2026-05-01", "bookable_until": "2026-04-01"},
         ["bookable_until"]),
        ("product with a negative price", "/products", {"name": "Band", "price": {"amount_minor": -5, "currency": "RON"}},
         ["price.amount_minor"]),
        ("plan for an unknown service", "/plans",
         {"name": "Pack", "kind": "session_package", "sessions": 5, "price": MONEY, "service_ids": [str(uuid.uuid4())]},
         ["service_ids.0"]),
        ("provider with a bad mobile", "/providers",
         {"name": "Dr. X", "email": "x@clinic.ro", "mobile": "12", "timezone": "Europe/Bucharest"}, ["mobile"]),
    ]


def test_each_bad_input_is_refused_per_field_and_nothing_is_written(client, catalog, setting, stored, subtests):
    for number, (case, path, body, fields) in enumerate(cases(setting)):
        with subtests.test(case):
            before = stored.counts()

            response = client.post(catalog.url(path), json=body, headers={"Idempotency-Key": f"refused-{number}"})

            assert response.status_code == 422, response.get_data(as_text=True)
            assert response.mimetype == "application/problem+json"
            assert [e["field"] for e in response.get_json()["errors"]] == fields
            assert all(e["message"] for e in response.get_json()["errors"])
            assert stored.counts() == before


@pytest.mark.parametrize(("case", "file", "field"), [
    ("oversized document", PDF + b"0" * (10 * 1024 * 1024), "file"),
    ("wrong content type", b"PK\x03\x04 a zip", "file.content_type"),
])
def test_a_bad_document_is_refused_per_field_and_nothing_is_written(client, catalog, setting, stored, case, file,
                                                                    field):
    before = stored.counts()
    content_type = "application/zip" if field == "file.content_type" else "application/pdf"

    response = client.post(catalog.url(f"/services/{setting['service']['id']}/documents"),
                           headers={"If-Match": '"1"'}, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(file), "document", content_type), "kind": "consent"})

    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert stored.counts() == before


def test_a_refused_change_writes_nothing_either(client, catalog, setting, stored):
    service = setting["service"]
    before = stored.counts()

    response = client.put(catalog.url(f"/services/{service['id']}"),
                          json={**SERVICE, "provider_ids": [setting["foreign"]["id"]]}, headers={"If-Match": '"1"'})

    assert response.status_code == 422
    assert stored.counts() == before
    assert client.get(catalog.url(f"/services/{service['id']}")).get_json() == service
