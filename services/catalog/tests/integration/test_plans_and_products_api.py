"""A clinic's service plans and products over HTTP (PostgreSQL and SQLite)."""

from __future__ import annotations

import pytest

from clinic_contracts.events.catalog import PlanUpsertedV1, ProductArchivedV1, ProductUpsertedV1

pytestmark = pytest.mark.integration


def test_a_hybrid_plan_bundles_products_and_names_the_services_its_sessions_serve(client, catalog):
    service, band = catalog.service(), catalog.product()
    body = {"name": "3-month recovery", "description": "6 sessions and telerehab.", "kind": "hybrid",
            "price": {"amount_minor": 150000, "currency": "RON"}, "sessions": 6,
            "session_validity": {"count": 6, "unit": "month"}, "access_window": {"count": 3, "unit": "month"},
            "service_ids": [service["id"]], "access_grants": ["telerehab", "library"],
            "products": [{"product_id": band["id"], "quantity": 2}]}

    response = client.post(catalog.url("/plans"), json=body)

    assert response.status_code == 201
    plan = response.get_json()
    assert {k: v for k, v in plan.items() if k not in ("id", "updated_at")} == {
        **body, "period": None, "version": 1, "archived": False}
    assert client.get(response.headers["Location"]).get_json() == plan


def test_a_subscription_is_priced_per_period_and_grants_access(client, catalog, stored):
    response = client.post(catalog.url("/plans"), json={
        "name": "Monthly telerehab", "kind": "subscription", "price": {"amount_minor": 20000, "currency": "RON"},
        "period": {"count": 1, "unit": "month"}, "access_grants": ["telerehab"]})

    assert response.status_code == 201
    [envelope] = stored.envelopes("catalog.plan.upserted.v1")
    event = envelope.payload(PlanUpsertedV1)
    assert (event.kind, event.period.unit, event.sessions, event.access_grants) == (
        "subscription", "month", None, ["telerehab"])


def test_a_plan_of_the_wrong_shape_is_refused_per_field(client, catalog, fields_of):
    response = client.post(catalog.url("/plans"), json={
        "name": "Monthly", "kind": "subscription", "price": {"amount_minor": 20000, "currency": "RON"},
        "sessions": 4})

    assert response.status_code == 422
    assert fields_of(response) == ["sessions", "period", "access_grants"]


def test_plans_are_listed_by_service_and_by_bundled_product(client, catalog):
    service, other, band = catalog.service(), catalog.service(name="Massage"), catalog.product()
    bundling = catalog.plan([service], products=[{"product_id": band["id"], "quantity": 1}])
    catalog.plan([other])

    by_service = client.get(catalog.url("/plans"), query_string={"service_id": service["id"]}).get_json()
    by_product = client.get(catalog.url("/plans"), query_string={"product_id": band["id"]}).get_json()

    assert [p["id"] for p in by_service["plans"]] == [bundling["id"]]
    assert [p["id"] for p in by_product["plans"]] == [bundling["id"]]


def test_a_plan_changes_with_its_etag_and_archives(client, catalog):
    service = catalog.service()
    plan = catalog.plan([service])
    url = catalog.url(f"/plans/{plan['id']}")
    body = {k: plan[k] for k in ("name", "kind", "price", "sessions", "service_ids")}

    changed = client.put(url, json={**body, "sessions": 12}, headers={"If-Match": '"1"'})
    archived = client.post(f"{url}/archive", headers={"If-Match": '"2"'})

    assert (changed.get_json()["sessions"], archived.get_json()["archived"], archived.headers["ETag"]) == (
        12, True, '"3"')
    assert client.put(url, json=body).status_code == 428


# -- products ---------------------------------------------------------------------------------


def test_adding_a_product_answers_201_and_publishes_its_snapshot(client, catalog, stored):
    body = {"name": "Resistance band", "description": "Medium, 2 m.",
            "price": {"amount_minor": 4500, "currency": "RON"}, "metadata": {"colour": "green", "brand": "TheraBand"}}

    response = client.post(catalog.url("/products"), json=body)

    assert response.status_code == 201
    product = response.get_json()
    assert {k: v for k, v in product.items() if k not in ("id", "updated_at")} == {
        **body, "version": 1, "archived": False}
    [envelope] = stored.envelopes("catalog.product.upserted.v1")
    assert envelope.payload(ProductUpsertedV1).metadata == {"colour": "green", "brand": "TheraBand"}


def test_a_product_bundled_into_an_active_plan_cannot_be_archived_until_the_plan_is(client, catalog, stored,
                                                                                   problem_of):
    band = catalog.product()
    plan = catalog.plan([catalog.service()], products=[{"product_id": band["id"], "quantity": 1}])
    url = catalog.url(f"/products/{band['id']}/archive")

    refused = client.post(url, headers={"If-Match": '"1"'})
    client.post(catalog.url(f"/plans/{plan['id']}/archive"), headers={"If-Match": '"1"'})
    archived = client.post(url, headers={"If-Match": '"1"'})

    assert (refused.status_code, problem_of(refused)["used_by"]) == (409, {"plans": [plan["id"]]})
    assert archived.status_code == 200
    [envelope] = stored.envelopes("catalog.product.archived.v1")
    assert envelope.payload(ProductArchivedV1).archived is True


def test_product_metadata_must_be_text(client, catalog, fields_of):
    response = client.post(catalog.url("/products"), json={
        "name": "Band", "price": {"amount_minor": 4500, "currency": "RON"}, "metadata": {"length_m": 2}})

    assert (response.status_code, fields_of(response)) == (422, ["metadata.length_m"])


def test_products_are_listed_and_changed_with_their_etag(client, catalog):
    band = catalog.product()
    url = catalog.url(f"/products/{band['id']}")

    changed = client.put(url, json={"name": "Band (heavy)", "price": band["price"]}, headers={"If-Match": '"1"'})

    assert (changed.status_code, changed.get_json()["metadata"]) == (200, {})
    assert client.get(catalog.url("/products")).get_json() == {"products": [changed.get_json()], "next_cursor": None}
