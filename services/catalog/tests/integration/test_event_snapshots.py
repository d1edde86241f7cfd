"""Every event catalog leaves in its outbox matches its committed contract and carries the full
snapshot of what it is about, under the clinic it belongs to (PostgreSQL and SQLite)."""

from __future__ import annotations

import io
import json

import pytest
from jsonschema import Draft202012Validator

from clinic_contracts import EVENT_MODELS, Envelope, schema_uri
from clinic_contracts.export import schema_path

pytestmark = pytest.mark.integration


def violations(event_type: str, body: dict) -> list[str]:
    schema = json.loads(schema_path(event_type).read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [error.message for error in validator.iter_errors(body)]


def test_every_catalog_change_publishes_a_contract_valid_snapshot(client, catalog, registered, stored):
    location = catalog.location()
    provider = catalog.provider(location_ids=[location["id"]])
    service = catalog.service(provider_ids=[provider["id"]],
                              refund_policy={"kind": "partial", "percent": 50, "text": "Half back."})
    client.post(catalog.url(f"/services/{service['id']}/documents"), headers={"If-Match": '"1"'},
                content_type="multipart/form-data",
                data={"file": (io.BytesIO(b"%PDF-1.7"), "c.pdf", "application/pdf"), "kind": "consent"})
    calendar = catalog.calendar(service, kind="promotion", price={"amount_minor": 1, "currency": "RON"},
                                bookable_from="2026-04-01", bookable_until="2026-04-02",
                                hours=[{"weekday": 5, "start": "16:00", "end": "24:00"}])
    product = catalog.product()
    plan = catalog.plan([service], products=[{"product_id": product["id"], "quantity": 3}],
                        session_validity={"count": 6, "unit": "month"})
    for path in (f"/services/{service['id']}/calendars/{calendar['id']}", f"/plans/{plan['id']}",
                 f"/products/{product['id']}"):
        assert client.post(catalog.url(f"{path}/archive"), headers={"If-Match": '"1"'}).status_code == 200
    assert client.post(catalog.url(f"/services/{service['id']}/archive"), headers={"If-Match": '"2"'}).status_code == 200
    assert client.post(catalog.url(f"/providers/{provider['id']}/archive"), headers={"If-Match": '"1"'}).status_code == 200

    rows = stored.outbox()
    assert [row["event_type"] for row in rows] == [
        "catalog.clinic.upserted.v1", "catalog.clinic.upserted.v1", "catalog.provider.upserted.v1",
        "catalog.service.upserted.v1", "catalog.service.upserted.v1", "catalog.calendar.upserted.v1",
        "catalog.product.upserted.v1", "catalog.plan.upserted.v1", "catalog.calendar.archived.v1",
        "catalog.plan.archived.v1", "catalog.product.archived.v1", "catalog.service.archived.v1",
        "catalog.provider.archived.v1"]
    for row in rows:
        body = json.loads(row["body"])
        envelope = Envelope.model_validate(body)
        event = envelope.payload(EVENT_MODELS[row["event_type"]])
        assert violations(row["event_type"], body) == [], row["event_type"]
        assert (str(row["clinic_id"]), str(envelope.clinicid), str(event.clinic_id)) == (registered["id"],) * 3
        assert envelope.subject == event.subject()
        assert envelope.dataschema == schema_uri(row["event_type"])


@pytest.mark.parametrize(("kind", "path"), [
    ("provider", "/providers/{id}"), ("product", "/products/{id}"), ("plan", "/plans/{id}"),
])
def test_the_snapshot_is_what_staff_read_back(client, catalog, stored, kind, path):
    added = {"provider": catalog.provider, "product": catalog.product,
             "plan": lambda: catalog.plan([catalog.service()])}[kind]()

    read = client.get(catalog.url(path.format(id=added["id"]))).get_json()

    [envelope] = stored.envelopes(f"catalog.{kind}.upserted.v1")
    event = envelope.payload(EVENT_MODELS[f"catalog.{kind}.upserted.v1"])
    expected = EVENT_MODELS[f"catalog.{kind}.upserted.v1"].model_validate(
        {**read, "clinic_id": catalog.clinic["id"], f"{kind}_id": read["id"]})
    assert event == expected
