"""A clinic's locations over HTTP: part of the clinic, versioned with it (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid

import pytest

from clinic_contracts.events.catalog import ClinicUpsertedV1

pytestmark = pytest.mark.integration

UPSERTED = "catalog.clinic.upserted.v1"
CENTRE = {"name": "Cluj centre", "address": "Strada Memorandumului 28", "timezone": "Europe/Bucharest"}


def test_adding_a_location_answers_201_with_it_and_the_clinics_next_etag(client, registered, stored):
    response = client.post(f"/clinics/{registered['id']}/locations", json=CENTRE, headers={"If-Match": '"1"'})

    assert response.status_code == 201
    location = response.get_json()
    assert location == {"id": location["id"], **CENTRE, "archived": False}
    assert response.headers["ETag"] == '"2"'
    assert response.headers["Location"] == f"/clinics/{registered['id']}/locations/{location['id']}"
    clinic = client.get(f"/clinics/{registered['id']}")
    assert (clinic.headers["ETag"], clinic.get_json()["locations"]) == ('"2"', [location])
    assert client.get(response.headers["Location"]).get_json() == location


def test_every_location_change_publishes_the_clinics_snapshot_with_its_locations(catalog, client, registered, stored):
    location = catalog.location()
    url = f"/clinics/{registered['id']}/locations/{location['id']}"

    client.put(url, json={**CENTRE, "name": "Cluj Napoca centre"}, headers={"If-Match": '"2"'})
    client.post(f"{url}/archive", headers={"If-Match": '"3"'})

    events = [e.payload(ClinicUpsertedV1) for e in stored.envelopes(UPSERTED)]
    assert [(e.version, [(str(loc.location_id), loc.name, loc.archived) for loc in e.locations]) for e in events] == [
        (1, []), (2, [(location["id"], "Cluj centre", False)]), (3, [(location["id"], "Cluj Napoca centre", False)]),
        (4, [(location["id"], "Cluj Napoca centre", True)])]


def test_a_location_write_needs_the_clinics_current_etag(client, catalog, registered, stored, problem_of):
    url = f"/clinics/{registered['id']}/locations"

    assert client.post(url, json=CENTRE).status_code == 428
    stale = client.post(url, json=CENTRE, headers={"If-Match": '"7"'})

    assert stale.status_code == 412
    assert "version 1" in problem_of(stale)["detail"]
    assert stored.counts("locations", "outbox") == {"locations": 0, "outbox": 1}


def test_an_invalid_location_is_refused_per_field_and_nothing_is_written(client, registered, stored, fields_of):
    response = client.post(f"/clinics/{registered['id']}/locations",
                           json={"name": " ", "address": "", "timezone": "Mars/Olympus"}, headers={"If-Match": '"1"'})

    assert response.status_code == 422
    assert fields_of(response) == ["name", "address", "timezone"]
    assert stored.counts("locations", "outbox") == {"locations": 0, "outbox": 1}
    assert client.get(f"/clinics/{registered['id']}").headers["ETag"] == '"1"'


def test_a_location_where_an_active_specialist_works_cannot_be_archived(catalog, client, registered, problem_of):
    location = catalog.location()
    specialist = catalog.provider(location_ids=[location["id"]])

    response = client.post(f"/clinics/{registered['id']}/locations/{location['id']}/archive",
                           headers={"If-Match": '"2"'})

    assert response.status_code == 409
    body = problem_of(response)
    assert body["type"].endswith("/location-in-use")
    assert body["used_by"] == {"providers": [specialist["id"]]}


def test_an_unknown_location_is_a_404(client, registered):
    assert client.get(f"/clinics/{registered['id']}/locations/{uuid.uuid4()}").status_code == 404


def test_a_location_change_keeps_the_clinics_profile(client, catalog, clinic_body, registered, if_match):
    location = catalog.location()

    changed = client.put(f"/clinics/{registered['id']}", json=clinic_body(name="Renamed"),
                         headers=if_match(client.get(f"/clinics/{registered['id']}")))

    assert changed.get_json()["locations"] == [location]


def test_the_clinics_policies_are_part_of_its_profile(client, clinic_body, registered):
    policy = {"kind": "partial", "percent": 50, "text": "Half back when you cancel a day ahead."}

    changed = client.put(f"/clinics/{registered['id']}",
                         json=clinic_body(cancellation_window_hours=48, refund_policy=policy),
                         headers={"If-Match": '"1"'})

    assert changed.status_code == 200
    assert (changed.get_json()["cancellation_window_hours"], changed.get_json()["refund_policy"]) == (48, policy)


def test_invalid_clinic_policies_are_refused_per_field(client, clinic_body, registered, fields_of):
    response = client.put(f"/clinics/{registered['id']}",
                          json=clinic_body(cancellation_window_hours=-1, refund_policy={"kind": "partial"}),
                          headers={"If-Match": '"1"'})

    assert response.status_code == 422
    assert fields_of(response) == ["cancellation_window_hours", "refund_policy.percent"]
