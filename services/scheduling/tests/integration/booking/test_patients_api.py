"""A clinic's patients over scheduling's internal API (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid

import pytest

from .conftest import CLINIC, at, next_monday, problem

pytestmark = pytest.mark.integration
PATIENTS = f"/clinics/{CLINIC}/patients"
STAFF = {"kind": "staff", "account_id": "0190f3b0-0000-7000-8000-00000000aaaa"}
ACCOUNT = "0190f3b1-0000-7000-8000-00000000bbbb"


def maria(**changes) -> dict:
    return {"name": "Maria Ionescu", "email": "Maria.Ionescu@example.ro", "mobile": "0712 345 678",
            "sms_consent": {"given": True, "text_version": "sms-2026-01"}, "actor": STAFF, **changes}


def test_staff_register_a_patient_with_an_e164_mobile_and_recorded_consent(client, clinic, published):
    response = client.post(PATIENTS, json=maria(account_id=ACCOUNT), headers={"Idempotency-Key": "p-1"})

    assert response.status_code == 201
    body = response.get_json()
    assert body["mobile"] == "+40712345678"
    assert body["email"] == "Maria.Ionescu@example.ro"
    assert body["sms_consent"]["given"] is True and body["sms_consent"]["text_version"] == "sms-2026-01"
    assert body["sms_consent"]["recorded_at"]
    assert body["account_id"] == ACCOUNT and body["version"] == 1 and body["archived"] is False
    assert response.headers["ETag"] == '"1"'
    [event] = published("scheduling.patient.upserted.v1")
    assert event["patient_id"] == body["patient_id"] and event["mobile"] == "+40712345678"
    replay = client.post(PATIENTS, json=maria(account_id=ACCOUNT), headers={"Idempotency-Key": "p-1"})
    assert replay.get_json() == body and len(published("scheduling.patient.upserted.v1")) == 1


def test_a_foreign_number_keeps_its_own_country(client, clinic):
    body = client.post(PATIENTS, json=maria(mobile="+1 415 555 2671")).get_json()

    assert body["mobile"] == "+14155552671"


def test_changing_details_needs_the_etag_and_raises_the_version(client, clinic, published):
    created = client.post(PATIENTS, json=maria()).get_json()
    path = f"{PATIENTS}/{created['patient_id']}"

    assert client.put(path, json=maria(name="Maria Pop")).status_code == 428
    assert client.put(path, json=maria(name="Maria Pop"), headers={"If-Match": '"7"'}).status_code == 412
    changed = client.put(path, json=maria(name="Maria Pop", sms_consent={"given": False, "text_version": "sms-2026-01"}),
                         headers={"If-Match": '"1"'})

    assert changed.status_code == 200
    assert changed.get_json()["name"] == "Maria Pop" and changed.get_json()["version"] == 2
    assert changed.get_json()["sms_consent"]["given"] is False
    assert [event["version"] for event in published("scheduling.patient.upserted.v1")] == [1, 2]
    unchanged = client.put(path, json=maria(name="Maria Pop", sms_consent={"given": False, "text_version": "sms-2026-01"}),
                           headers={"If-Match": '"2"'})
    assert unchanged.get_json()["version"] == 2


def test_archiving_publishes_the_archived_event_and_stops_bookings_for_the_patient(client, clinic, published, book):
    created = client.post(PATIENTS, json=maria()).get_json()

    archived = client.post(f"{PATIENTS}/{created['patient_id']}/archive", json={"actor": STAFF})

    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    [event] = published("scheduling.patient.archived.v1")
    assert event["archived"] is True and event["version"] == 2
    refused = book(at(next_monday(), "09:00"), patient=None, patient_id=created["patient_id"])
    assert refused.status_code == 422


def test_patients_are_found_by_part_of_a_name_email_or_number_and_by_account(client, clinic):
    maria_id = client.post(PATIENTS, json=maria(account_id=ACCOUNT)).get_json()["patient_id"]
    ion_id = client.post(PATIENTS, json=maria(name="Ion Pop", email="ion@example.ro",
                                              mobile="+40722000111")).get_json()["patient_id"]

    def found(**query) -> list[str]:
        return [patient["patient_id"] for patient in client.get(PATIENTS, query_string=query).get_json()["patients"]]

    assert found() == [maria_id, ion_id]
    assert found(query="IONESCU") == [maria_id]
    assert found(query="ion@") == [ion_id]
    assert found(query="722000") == [ion_id]
    assert found(account_id=ACCOUNT) == [maria_id]
    assert found(query="50%") == []
    page = client.get(PATIENTS, query_string={"limit": 1}).get_json()
    rest = client.get(PATIENTS, query_string={"limit": 1, "cursor": page["next_cursor"]}).get_json()
    assert [p["patient_id"] for p in page["patients"] + rest["patients"]] == [maria_id, ion_id]


def test_a_name_is_found_whatever_its_letters_case_and_a_number_as_people_write_it(client, clinic):
    """On SQLite (the local run) too, whose own lower() folds ASCII only."""
    stefan = client.post(PATIENTS, json=maria(name="Ștefan Łucjański", email="stefan@example.ro")).get_json()

    def found(query: str) -> list[str]:
        return [p["patient_id"] for p in client.get(PATIENTS, query_string={"query": query}).get_json()["patients"]]

    assert found("ștefan") == found("ȘTEFAN") == found("łucjański") == [stefan["patient_id"]]
    assert found("0712 345 678") == found("(0712) 345-678") == found("+40 712 345 678") == [stefan["patient_id"]]
    assert found("0712 000 000") == []


def test_a_search_with_control_characters_is_refused(client, clinic):
    response = client.get(PATIENTS, query_string={"query": "ab\x00cd"})

    assert response.status_code == 422
    assert [error["field"] for error in response.get_json()["errors"]] == ["query"]


def test_bad_details_are_422_with_every_field(client, clinic):
    response = client.post(PATIENTS, json=maria(name="", email="nope", mobile="+40 21 312 3456"))

    assert response.status_code == 422
    assert {error["field"] for error in problem(response)["errors"]} == {"name", "email", "mobile"}


def test_another_clinics_patient_is_not_found(client, clinic):
    created = client.post(PATIENTS, json=maria()).get_json()

    assert client.get(f"/clinics/{uuid.uuid4()}/patients/{created['patient_id']}").status_code == 404
