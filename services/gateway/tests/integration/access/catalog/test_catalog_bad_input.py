"""Bad input through the gateway (issue 4): catalog's 422 problem reaches the client with one
error per bad field, nothing is written and no event is published (catalog's tables and outbox
are counted before and after, and the clinic's lists read)."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

MONEY = {"amount_minor": 20000, "currency": "RON"}
SERVICE = {"name": "Physiotherapy session", "duration_minutes": 50, "price": MONEY}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024  # catalog's default DOCUMENT_MAX_BYTES
PDF_START = b"%PDF-1.7\n"


@pytest.fixture
def setting(offer, other_offer) -> dict[str, dict]:
    """A clinic with a specialist and a service; another clinic with its own specialist and product."""
    return {"provider": offer.provider(), "service": offer.service(), "foreign": other_offer.provider(),
            "foreign_product": other_offer.product()}


def lists(offer) -> dict[str, list[dict]]:
    """Everything the clinic's catalog holds, archived entries included."""
    found = {kind: offer.platform.call("GET", f"{offer.path}/{kind}?status=all", offer.clinic.admin)[kind]
             for kind in ("providers", "services", "plans", "products")}
    found["calendars"] = [c for s in found["services"] for c in offer.platform.call(
        "GET", f"{offer.path}/services/{s['id']}/calendars?status=all", offer.clinic.admin)["calendars"]]
    return found


def cases(setting) -> list[tuple[str, str, dict, list[str]]]:
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
        ("every problem at once", "/services",
         {**SERVICE, "duration_minutes": 0, "price": {"amount_minor": -1, "currency": "XYZ"},
          "provider_ids": [setting["foreign"]["id"]]},
         ["duration_minutes", "price.amount_minor", "price.currency", "provider_ids.0"]),
        ("calendar range ending before it starts", f"/services/{service}/calendars",
         {"name": "Spring offer", "kind": "standard", "bookable_from": "2027-05-01", "bookable_until": "2027-04-01"},
         ["bookable_until"]),
        ("plan bundling another clinic's product", "/plans",
         {"name": "Pack", "kind": "session_package", "sessions": 5, "price": MONEY, "service_ids": [service],
          "products": [{"product_id": setting["foreign_product"]["id"]}]}, ["products.0.product_id"]),
    ]


def test_each_bad_input_is_refused_per_field_and_nothing_is_written(platform, offer, setting, catalog_rows,
                                                                    problem_of):
    for number, (case, path, body, fields) in enumerate(cases(setting)):
        before, listed = catalog_rows.counts(), lists(offer)

        response = platform.client.post(offer.path + path, json=body,
                                        headers={**offer.clinic.admin.headers, "Idempotency-Key": f"bad-{number}"})

        assert response.status_code == 422, case
        problem = problem_of(response)
        assert (problem["type"].rsplit("/", 1)[1], problem["instance"]) == ("validation-error", offer.path + path)
        assert [e["field"] for e in problem["errors"]] == fields, case
        assert all(e["message"] for e in problem["errors"]), case
        assert (catalog_rows.counts(), lists(offer)) == (before, listed), case


def test_a_bad_change_is_refused_per_field_and_leaves_the_entry_as_it_was(platform, offer, setting, catalog_rows,
                                                                         problem_of):
    service = setting["service"]
    before = catalog_rows.counts()

    response = platform.client.put(f"{offer.path}/services/{service['id']}",
                                   json={**SERVICE, "duration_minutes": 0, "provider_ids": [setting["foreign"]["id"]]},
                                   headers={**offer.clinic.admin.headers, "If-Match": f'"{service["version"]}"'})

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["duration_minutes", "provider_ids.0"]
    assert catalog_rows.counts() == before
    assert platform.call("GET", f"{offer.path}/services/{service['id']}", offer.clinic.admin) == service


@pytest.mark.parametrize(("case", "file", "content_type", "field"), [
    # Within the multipart allowance catalog reads the whole body and measures the file.
    ("oversized document", PDF_START + b"0" * DOCUMENT_MAX_BYTES, "application/pdf", "file"),
    # Far beyond it catalog refuses from Content-Length alone, before reading the body.
    ("document three times too large", PDF_START + b"0" * (3 * DOCUMENT_MAX_BYTES), "application/pdf", "file"),
    ("wrong content type", b"PK\x03\x04 a zip archive", "application/zip", "file.content_type"),
    ("content that is not what its type says", b"MZ an executable", "application/pdf", "file"),
])
def test_a_bad_document_is_refused_per_field_and_nothing_is_written(offer, catalog_rows, problem_of, case, file,
                                                                    content_type, field):
    service = offer.service()
    before, listed = catalog_rows.counts(), lists(offer)

    response = offer.upload(service, file, content_type)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert [e["field"] for e in problem_of(response)["errors"]] == [field]
    assert (catalog_rows.counts(), lists(offer)) == (before, listed)
    assert offer.platform.call("GET", f"{offer.path}/services/{service['id']}", offer.clinic.admin) == service


def test_a_body_with_nan_is_not_json_and_never_reaches_catalog(platform, offer, catalog_rows, problem_of):
    before = catalog_rows.counts()

    response = platform.client.post(
        offer.path + "/services", data='{"name": "Massage", "duration_minutes": NaN}',
        headers={**offer.clinic.admin.headers, "Content-Type": "application/json", "Idempotency-Key": "nan"})

    assert response.status_code == 400
    assert problem_of(response)["type"].rsplit("/", 1)[1] == "malformed-json"
    assert catalog_rows.counts() == before
