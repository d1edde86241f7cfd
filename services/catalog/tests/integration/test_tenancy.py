"""One clinic's catalog is unreachable from another's routes: another clinic's id in the path is
a 404 (nothing says it exists), inside a body a per-field 422; nothing is read, changed or written."""

from __future__ import annotations

import io
import uuid

import pytest

pytestmark = pytest.mark.integration

MONEY = {"amount_minor": 100, "currency": "RON"}


@pytest.fixture
def theirs(client, catalog, other_clinic):
    """Clinic B's whole catalog: a location, a specialist, a service with a document and a calendar,
    a product and a plan."""
    location = catalog.location(clinic=other_clinic)
    provider = catalog.provider(clinic=other_clinic, location_ids=[location["id"]])
    service = catalog.service(clinic=other_clinic, provider_ids=[provider["id"]])
    document = client.post(catalog.url(f"/services/{service['id']}/documents", other_clinic),
                           headers={"If-Match": '"1"'}, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"%PDF-1.7"), "c.pdf", "application/pdf"),
                                 "kind": "consent"}).get_json()
    calendar = catalog.calendar(service, clinic=other_clinic)
    product = catalog.product(clinic=other_clinic)
    plan = catalog.plan([service], clinic=other_clinic, products=[{"product_id": product["id"], "quantity": 1}])
    return {"location": location["id"], "provider": provider["id"], "service": service["id"],
            "document": document["id"], "calendar": calendar["id"], "product": product["id"], "plan": plan["id"]}


def requests(t):
    """(method, path under clinic A, body) for every route naming one of clinic B's ids."""
    service = f"/services/{t['service']}"
    return [
        ("GET", f"/locations/{t['location']}", None),
        ("PUT", f"/locations/{t['location']}", {"name": "X", "address": "Y", "timezone": "UTC"}),
        ("POST", f"/locations/{t['location']}/archive", None),
        ("GET", f"/providers/{t['provider']}", None),
        ("PUT", f"/providers/{t['provider']}", {"name": "X", "email": "x@y.ro", "timezone": "UTC"}),
        ("POST", f"/providers/{t['provider']}/archive", None),
        ("GET", service, None),
        ("PUT", service, {"name": "X", "duration_minutes": 5, "price": MONEY}),
        ("POST", f"{service}/archive", None),
        ("GET", f"{service}/documents/{t['document']}", None),
        ("GET", f"{service}/documents/{t['document']}/content", None),
        ("POST", f"{service}/documents/{t['document']}/archive", None),
        ("GET", f"{service}/calendars", None),
        ("POST", f"{service}/calendars", {"name": "X", "kind": "standard"}),
        ("GET", f"{service}/calendars/{t['calendar']}", None),
        ("PUT", f"{service}/calendars/{t['calendar']}", {"name": "X", "kind": "standard"}),
        ("POST", f"{service}/calendars/{t['calendar']}/archive", None),
        ("GET", f"/products/{t['product']}", None),
        ("PUT", f"/products/{t['product']}", {"name": "X", "price": MONEY}),
        ("POST", f"/products/{t['product']}/archive", None),
        ("GET", f"/plans/{t['plan']}", None),
        ("PUT", f"/plans/{t['plan']}", {"name": "X", "kind": "subscription", "price": MONEY,
                                        "period": {"count": 1, "unit": "month"}, "access_grants": ["library"]}),
        ("POST", f"/plans/{t['plan']}/archive", None),
        ("GET", f"/public/services/{t['service']}", None),
        ("GET", f"/public/services/{t['service']}/calendars", None),
        ("GET", f"/public/services/{t['service']}/plans", None),
        ("GET", f"/public/services/{t['service']}/documents/{t['document']}/content", None),
    ]


def test_another_clinics_ids_in_the_path_are_not_found_and_nothing_changes(client, catalog, theirs, stored,
                                                                          subtests):
    before = stored.counts()
    for method, path, body in requests(theirs):
        with subtests.test(f"{method} {path}"):
            response = client.open(catalog.url(path), method=method, json=body, headers={"If-Match": '"1"'})

            assert response.status_code == 404, response.get_data(as_text=True)
            assert response.get_json()["type"].endswith("/not-found")
    assert stored.counts() == before


def test_another_clinics_ids_inside_a_body_are_refused_per_field(client, catalog, theirs, stored, fields_of,
                                                                subtests):
    service = catalog.service()
    bodies = {
        "/providers": ({"name": "X", "email": "x@y.ro", "timezone": "UTC", "location_ids": [theirs["location"]]},
                       ["location_ids.0"]),
        "/services": ({"name": "X", "duration_minutes": 5, "price": MONEY, "provider_ids": [theirs["provider"]]},
                      ["provider_ids.0"]),
        "/plans": ({"name": "X", "kind": "session_package", "sessions": 2, "price": MONEY,
                    "service_ids": [theirs["service"]], "products": [{"product_id": theirs["product"]}]},
                   ["service_ids.0", "products.0.product_id"]),
    }
    before = stored.counts()
    for path, (body, fields) in bodies.items():
        with subtests.test(path):
            response = client.post(catalog.url(path), json=body)

            assert (response.status_code, fields_of(response)) == (422, fields)
    calendar = client.post(catalog.url(f"/services/{theirs['service']}/calendars"), json={"name": "X", "kind": "standard"})
    assert calendar.status_code == 404
    assert client.get(catalog.url(f"/services/{service['id']}")).status_code == 200
    assert stored.counts() == before


def test_lists_show_only_the_clinics_own_entries(client, catalog, theirs):
    mine = catalog.service()

    for path, key in (("/providers", "providers"), ("/services", "services"), ("/plans", "plans"),
                      ("/products", "products"), ("/public/services", "services"), ("/public/providers", "providers")):
        listed = client.get(catalog.url(path), query_string={"status": "all"}).get_json()[key]
        assert theirs["provider"] not in {e["id"] for e in listed}
        assert theirs["service"] not in {e["id"] for e in listed}
    assert [s["id"] for s in client.get(catalog.url("/services")).get_json()["services"]] == [mine["id"]]


def test_filtering_by_another_clinics_specialist_finds_nothing(client, catalog, theirs):
    catalog.service()

    listed = client.get(catalog.url("/services"), query_string={"provider_id": theirs["provider"]}).get_json()

    assert listed["services"] == []


def test_an_unknown_clinic_has_no_catalog(client, registered):
    unknown = uuid.uuid4()

    for path in ("/providers", "/services", "/plans", "/products", "/public/services", "/public/providers"):
        assert client.get(f"/clinics/{unknown}{path}").status_code == 404
