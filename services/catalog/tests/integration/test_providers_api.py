"""A clinic's providers (specialists) over HTTP (PostgreSQL and SQLite)."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from clinic_contracts.events.catalog import ProviderArchivedV1, ProviderUpsertedV1

pytestmark = pytest.mark.integration

ANA = {"name": "Dr. Ana Popescu", "email": "ana.popescu@dentalcare.ro", "mobile": "0712 345 678",
       "timezone": "Europe/Bucharest"}


def test_adding_a_provider_answers_201_with_it_its_location_and_etag(client, registered, catalog):
    location = catalog.location()

    response = client.post(f"/clinics/{registered['id']}/providers", json={**ANA, "location_ids": [location["id"]]})

    assert response.status_code == 201
    provider = response.get_json()
    assert uuid.UUID(provider["id"]).version == 7
    assert {k: v for k, v in provider.items() if k not in ("id", "updated_at")} == {
        "name": "Dr. Ana Popescu", "email": "ana.popescu@dentalcare.ro", "mobile": "+40712345678",
        "timezone": "Europe/Bucharest", "location_ids": [location["id"]], "version": 1, "archived": False}
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/clinics/{registered['id']}/providers/{provider['id']}"
    read = client.get(response.headers["Location"])
    assert (read.get_json(), read.headers["ETag"]) == (provider, '"1"')


def test_adding_a_provider_leaves_its_upserted_snapshot_in_the_outbox(client, registered, stored):
    provider = client.post(f"/clinics/{registered['id']}/providers", json=ANA).get_json()

    [envelope] = stored.envelopes("catalog.provider.upserted.v1")
    assert (str(envelope.clinicid), envelope.subject) == (registered["id"], provider["id"])
    assert envelope.payload(ProviderUpsertedV1) == ProviderUpsertedV1.model_validate(
        {**provider, "clinic_id": registered["id"], "provider_id": provider["id"]})


def test_changing_a_provider_needs_its_current_etag(client, catalog, problem_of):
    provider = catalog.provider()
    url = catalog.url(f"/providers/{provider['id']}")

    missing = client.put(url, json=ANA)
    changed = client.put(url, json={**ANA, "name": "Dr. Ana Ionescu"}, headers={"If-Match": '"1"'})
    stale = client.put(url, json={**ANA, "name": "Dr. Ana Pop"}, headers={"If-Match": '"1"'})

    assert (missing.status_code, changed.status_code, stale.status_code) == (428, 200, 412)
    assert (changed.get_json()["name"], changed.get_json()["version"], changed.headers["ETag"]) == (
        "Dr. Ana Ionescu", 2, '"2"')
    assert problem_of(stale)["type"].endswith("/stale-version")
    assert client.get(url).get_json() == changed.get_json()


def test_an_unchanged_provider_keeps_its_version_and_publishes_nothing(client, catalog, stored):
    provider = catalog.provider()
    body = {k: provider[k] for k in ("name", "email", "mobile", "timezone", "location_ids")}

    response = client.put(catalog.url(f"/providers/{provider['id']}"), json=body, headers={"If-Match": '"1"'})

    assert (response.status_code, response.get_json()) == (200, provider)
    assert stored.outbox_types().count("catalog.provider.upserted.v1") == 1


def test_archiving_publishes_the_archived_snapshot_and_keeps_the_provider_readable(client, catalog, stored):
    provider = catalog.provider()
    url = catalog.url(f"/providers/{provider['id']}")

    response = client.post(f"{url}/archive", headers={"If-Match": '"1"'})

    assert response.status_code == 200
    assert (response.get_json()["archived"], response.get_json()["version"]) == (True, 2)
    assert client.get(url).get_json()["archived"] is True
    [envelope] = stored.envelopes("catalog.provider.archived.v1")
    assert envelope.payload(ProviderArchivedV1).archived is True


def test_an_archived_provider_cannot_be_changed(client, catalog, fields_of):
    provider = catalog.provider()
    url = catalog.url(f"/providers/{provider['id']}")
    client.post(f"{url}/archive", headers={"If-Match": '"1"'})

    response = client.put(url, json=ANA, headers={"If-Match": '"2"'})

    assert (response.status_code, fields_of(response)) == (422, ["provider"])


def test_a_specialist_who_delivers_an_active_service_cannot_be_archived(client, catalog, problem_of):
    provider = catalog.provider()
    service = catalog.service(provider_ids=[provider["id"]])

    response = client.post(catalog.url(f"/providers/{provider['id']}/archive"), headers={"If-Match": '"1"'})

    assert response.status_code == 409
    assert problem_of(response)["used_by"] == {"services": [service["id"]]}
    assert client.get(catalog.url(f"/providers/{provider['id']}")).get_json()["archived"] is False


def test_invalid_providers_are_refused_per_field(client, catalog, stored, fields_of):
    before = stored.counts()

    response = client.post(catalog.url("/providers"), json={
        "name": "", "email": "ana@", "mobile": "12", "timezone": "Mars/Olympus", "location_ids": [str(uuid.uuid4())]})

    assert response.status_code == 422
    assert fields_of(response) == ["name", "email", "mobile", "timezone", "location_ids.0"]
    assert stored.counts() == before


def test_providers_are_listed_with_a_cursor_and_by_status(client, catalog):
    added = sorted((catalog.provider(name=f"Dr. {n}") for n in range(3)), key=lambda p: p["id"])
    client.post(catalog.url(f"/providers/{added[1]['id']}/archive"), headers={"If-Match": '"1"'})

    first = client.get(catalog.url("/providers"), query_string={"limit": 1}).get_json()
    second = client.get(catalog.url("/providers"), query_string={"limit": 1, "cursor": first["next_cursor"]}).get_json()
    archived = client.get(catalog.url("/providers"), query_string={"status": "archived"}).get_json()

    assert [p["id"] for p in first["providers"] + second["providers"]] == [added[0]["id"], added[2]["id"]]
    assert second["next_cursor"] is None
    assert [p["id"] for p in archived["providers"]] == [added[1]["id"]]


def test_logs_never_carry_a_providers_email_or_mobile(catalog_database, build_app, registered, capsys):
    client = build_app().test_client()
    capsys.readouterr()

    client.post(f"/clinics/{registered['id']}/providers", json=ANA)
    client.post(f"/clinics/{registered['id']}/providers", json={**ANA, "mobile": "0799 999"})

    logged = capsys.readouterr().err
    assert logged and "ana.popescu" not in logged
    # Digits only, ids and trace ids aside: random hex may contain any short run of digits.
    digits = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}", "", logged)
    for number in ("712345678", "0712 345", "345 678", "0799 999"):
        assert number not in digits
    assert all(json.loads(line) for line in logged.splitlines() if line.strip())
