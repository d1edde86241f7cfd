"""Staff and specialists' changes of a specialist's availability are in the audit trail, on the real
database (PostgreSQL and SQLite): who, when, what, before and after, read by specialist."""

from __future__ import annotations

import uuid

import pytest

from .conftest import ANA, CLINIC, DAN, MORNINGS, next_monday

pytestmark = pytest.mark.integration

AUDIT = f"/clinics/{CLINIC}/audit"
ADMIN = {"kind": "staff", "account_id": "0190f3a6-5f60-7172-83a4-5e6f7a8b9c01"}
SPECIALIST = {"kind": "provider", "account_id": "0190f3a6-5f60-7172-83a4-5e6f7a8b9c02"}
UNNAMED_STAFF = {"kind": "staff", "account_id": None}  # the `specialists` fixture names no actor
AFTERNOONS = {"timezone": "Europe/Bucharest", "rules": [{"weekday": 2, "start": "14:00", "end": "18:00"}],
              "blackout_dates": ["2026-12-24"]}


def availability(provider: str = ANA) -> str:
    return f"/clinics/{CLINIC}/providers/{provider}/availability"


def as_query(actor: dict) -> dict:
    return {"actor_kind": actor["kind"], "actor_account_id": actor["account_id"]}


def audit_of(client, provider: str = ANA) -> list[dict]:
    response = client.get(AUDIT, query_string={"provider_id": provider})
    assert response.status_code == 200
    return response.get_json()["entries"]


def test_each_change_of_availability_is_audited_with_its_actor_before_and_after(client, specialists):
    day = next_monday(2).isoformat()
    put = client.put(availability(), json={**AFTERNOONS, "actor": ADMIN}, headers={"If-Match": '"1"'})
    assert put.status_code == 200
    away = client.post(f"{availability()}/away", json={"first_day": day, "last_day": day, "note": "Surgery",
                                                      "actor": SPECIALIST}).get_json()
    override = client.post(f"{availability()}/overrides", json={"day": day, "kind": "extra_hours", "start": "15:00",
                                                                "end": "17:00", "note": "", "actor": SPECIALIST}
                           ).get_json()
    removed_override = client.delete(f"{availability()}/overrides/{override['id']}", query_string=as_query(SPECIALIST))
    removed_away = client.delete(f"{availability()}/away/{away['id']}", query_string=as_query(ADMIN))
    assert (removed_override.status_code, removed_away.status_code) == (204, 204)

    entries = audit_of(client)

    assert [(entry["action"], entry["actor"]) for entry in entries] == [
        ("availability.schedule_replaced", UNNAMED_STAFF),
        ("availability.schedule_replaced", ADMIN),
        ("availability.away_added", SPECIALIST),
        ("availability.override_added", SPECIALIST),
        ("availability.override_removed", SPECIALIST),
        ("availability.away_removed", ADMIN),
    ]
    assert {(entry["provider_id"], entry["appointment_id"], entry["patient_id"]) for entry in entries} == {
        (ANA, None, None)}
    replaced = entries[1]
    assert replaced["before"] == {"timezone": "Europe/Bucharest", "blackout_dates": [], "version": 1, "rules": [
        {"weekday": 1, "start": "09:00", "end": "12:00", "valid_from": None, "valid_until": None,
         "location_id": None}]}
    assert replaced["after"] == {"timezone": "Europe/Bucharest", "blackout_dates": ["2026-12-24"], "version": 2,
                                 "rules": [{"weekday": 2, "start": "14:00", "end": "18:00", "valid_from": None,
                                            "valid_until": None, "location_id": None}]}
    away_view = {"away_id": away["id"], "first_day": day, "last_day": day}  # no note: it may say why
    override_view = {"override_id": override["id"], "day": day, "kind": "extra_hours", "start": "15:00",
                     "end": "17:00"}
    assert [(entry["before"], entry["after"]) for entry in entries[2:]] == [
        (None, {**away_view, "version": 3}),
        (None, {**override_view, "version": 4}),
        ({**override_view, "version": 4}, None),
        ({**away_view, "version": 5}, None),
    ]
    assert entries[-1]["occurred_at"] == client.get(availability()).get_json()["updated_at"]


def test_the_same_schedule_again_records_nothing(client, specialists):
    again = client.put(availability(), json={**MORNINGS, "actor": ADMIN}, headers={"If-Match": '"1"'})

    assert (again.status_code, again.headers["ETag"]) == (200, '"1"')
    assert [entry["actor"] for entry in audit_of(client)] == [UNNAMED_STAFF]


def test_a_refused_change_records_nothing(client, specialists):
    day = next_monday(2).isoformat()
    away = client.post(f"{availability()}/away", json={"first_day": day, "last_day": day, "actor": ADMIN}).get_json()
    recorded = len(audit_of(client))

    refused = [
        client.put(availability(), json={**AFTERNOONS, "actor": ADMIN}, headers={"If-Match": '"1"'}),
        client.put(availability(), json={**AFTERNOONS, "timezone": "Mars/Olympus", "actor": ADMIN},
                   headers={"If-Match": '"2"'}),
        client.post(f"{availability()}/overrides", json={"day": day, "kind": "extra_hours", "actor": ADMIN}),
        client.delete(f"{availability()}/overrides/{uuid.uuid4()}", query_string=as_query(ADMIN)),
        client.delete(f"{availability()}/away/{away['id']}", query_string={"actor_kind": "robot"}),
        client.delete(f"{availability()}/away/{away['id']}",
                      query_string={"actor_kind": "staff", "actor_account_id": "nobody"}),
    ]

    assert [response.status_code for response in refused] == [412, 422, 422, 404, 422, 422]
    assert {error["field"] for response in refused[-2:] for error in response.get_json()["errors"]} == {
        "actor_kind", "actor_account_id"}
    assert len(audit_of(client)) == recorded
    assert client.get(availability()).get_json()["away"] != []


def test_the_trail_is_read_by_specialist(client, specialists):
    client.put(availability(DAN), json={**AFTERNOONS, "actor": SPECIALIST}, headers={"If-Match": '"1"'})

    everything = client.get(AUDIT).get_json()["entries"]
    anas, dans = audit_of(client, ANA), audit_of(client, DAN)

    assert {entry["provider_id"] for entry in anas} == {ANA} and len(anas) == 1
    assert [(entry["provider_id"], entry["actor"]) for entry in dans] == [(DAN, UNNAMED_STAFF), (DAN, SPECIALIST)]
    assert {entry["entry_id"] for entry in everything} == {entry["entry_id"] for entry in anas + dans}
    assert client.get(AUDIT, query_string={"provider_id": "ana"}).status_code == 422
    assert audit_of(client, str(uuid.uuid4())) == []
