"""Booking through scheduling's internal API: a hold on a slot the engine offers, on PostgreSQL
and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from .conftest import ANA, CLINIC, DAN, SERVICE, at, next_monday, problem

pytestmark = pytest.mark.integration
HELD = "scheduling.appointment.held.v1"


def slots(client, day, provider=None) -> list[tuple[str, str]]:
    query = {"from": day.isoformat(), "to": day.isoformat(), "tz": "Europe/Bucharest"}
    if provider:
        query["provider_id"] = provider
    response = client.get(f"/clinics/{CLINIC}/services/{SERVICE}/slots", query_string=query)
    assert response.status_code == 200
    return [(slot["start"][11:16], slot["provider_id"]) for slot in response.get_json()["slots"]]


def test_a_booking_holds_the_slot_for_15_minutes_pending_payment(book, published):
    monday = next_monday()
    before = datetime.now(UTC)

    response = book(at(monday, "09:00"), provider_id=ANA)

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending_payment"
    assert body["provider_id"] == ANA and body["service_id"] == SERVICE
    assert datetime.fromisoformat(body["start"]) == at(monday, "09:00")
    assert datetime.fromisoformat(body["end"]) == at(monday, "09:50")
    assert body["timezone"] == "Europe/Bucharest"
    assert body["price"] == {"amount_minor": 20000, "currency": "RON"}
    hold = datetime.fromisoformat(body["hold_expires_at"])
    assert before + timedelta(minutes=15) <= hold <= datetime.now(UTC) + timedelta(minutes=15)
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/clinics/{CLINIC}/appointments/{body['appointment_id']}"
    [held] = published(HELD)
    assert held["appointment"]["appointment_id"] == body["appointment_id"]
    assert held["appointment"]["status"] == "pending_payment"
    assert held["actor"] == {"kind": "patient", "account_id": None}


def test_the_patient_is_registered_with_an_e164_mobile_and_the_consent_given(book, client, published):
    response = book(at(next_monday(), "09:00"), patient={"name": "Maria Ionescu", "email": "maria@example.ro",
                                                          "mobile": "0712 345 678"})

    patient = client.get(f"/clinics/{CLINIC}/patients/{response.get_json()['patient_id']}").get_json()
    assert patient["mobile"] == "+40712345678"
    assert patient["sms_consent"]["given"] is True
    assert patient["sms_consent"]["text_version"] == "sms-2026-01"
    [upserted] = published("scheduling.patient.upserted.v1")
    assert upserted["patient_id"] == patient["patient_id"] and upserted["version"] == 1


def test_the_same_patient_booking_again_is_found_by_email_and_name(book):
    first = book(at(next_monday(), "09:00")).get_json()
    second = book(at(next_monday(2), "09:00")).get_json()

    assert first["patient_id"] == second["patient_id"]


def test_with_no_room_for_another_patient_a_known_patient_still_books_and_a_new_one_is_409(book, published):
    known = book(at(next_monday(), "09:00")).get_json()

    again = book(at(next_monday(2), "09:00"), new_patient_allowed=False)
    stranger = book(at(next_monday(3), "09:00"), new_patient_allowed=False,
                    patient={"name": "Ion Popa", "email": "ion@example.ro", "mobile": "0722 000 111"})

    assert again.status_code == 201 and again.get_json()["patient_id"] == known["patient_id"]
    assert stranger.status_code == 409
    assert problem(stranger)["type"].endswith("/new-patient-not-allowed")
    assert len(published("scheduling.patient.upserted.v1")) == 1
    assert len(published(HELD)) == 2


def test_a_booked_slot_and_those_its_buffers_reach_are_no_longer_offered(book, client):
    monday = next_monday()
    assert slots(client, monday, ANA) == [("09:00", ANA), ("09:50", ANA), ("10:40", ANA)]

    assert book(at(monday, "09:00"), provider_id=ANA).status_code == 201

    # 09:00-09:50 with 10 minutes' wrap time runs to 10:00; the 09:50 slot needs 5 minutes' prep.
    assert slots(client, monday, ANA) == [("10:40", ANA)]
    assert slots(client, monday, DAN) == [("09:00", DAN), ("09:50", DAN), ("10:40", DAN)]


def test_a_start_whose_prep_time_meets_anothers_wrap_time_is_409_and_one_clear_of_it_books(book):
    monday = next_monday()
    assert book(at(monday, "09:00"), provider_id=ANA).status_code == 201

    # 09:50 needs 09:45-10:50 (5 minutes' prep, 10 of wrap) free; 09:00's wrap time runs to 10:00.
    touching = book(at(monday, "09:50"), provider_id=ANA)
    assert touching.status_code == 409
    assert problem(touching)["type"].endswith("/slot-taken")
    assert book(at(monday, "10:40"), provider_id=ANA).status_code == 201


def test_without_a_specialist_the_first_free_one_is_taken_and_then_409(book):
    monday = next_monday()

    first, second, third = (book(at(monday, "09:00")) for _ in range(3))

    assert first.status_code == 201 and first.get_json()["provider_id"] == ANA
    assert second.status_code == 201 and second.get_json()["provider_id"] == DAN
    assert third.status_code == 409
    assert problem(third)["type"].endswith("/slot-taken")


def test_the_same_slot_twice_is_409_slot_taken(book):
    monday = next_monday()
    assert book(at(monday, "09:50"), provider_id=ANA).status_code == 201

    again = book(at(monday, "09:50"), provider_id=ANA)

    assert again.status_code == 409
    assert problem(again)["type"].endswith("/slot-taken")


def test_a_start_that_is_no_slot_is_422_and_says_why(book):
    monday = next_monday()
    for start in (at(monday, "09:10"), at(monday, "13:00"), at(monday + timedelta(days=1), "09:00"),
                  datetime.now(UTC) + timedelta(minutes=10)):
        response = book(start, provider_id=ANA)
        assert response.status_code == 422
        [error] = problem(response)["errors"]
        assert error["field"] == "start" and "not a slot" in error["message"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("mobile", "12", "not a valid number"),
    ("mobile", "call me", "not a phone number"),
    ("mobile", "+40 21 312 3456", "not a mobile number"),
    ("mobile", "+999 123", "not a phone number"),
    ("email", "maria.example.ro", "not an email address"),
    ("name", "  ", "name"),
])
def test_bad_contact_details_are_422_and_nothing_is_written(book, sessions, field, value, message):
    response = book(at(next_monday(), "09:00"), patient={"name": "Maria", "email": "maria@example.ro",
                                                          "mobile": "+40712345678", field: value})

    assert response.status_code == 422
    [error] = problem(response)["errors"]
    assert error["field"] == f"patient.{field}" and message in error["message"]
    with sessions() as session:
        assert session.execute(sa.text("SELECT count(*) FROM appointments")).scalar_one() == 0
        assert session.execute(sa.text("SELECT count(*) FROM patients")).scalar_one() == 0


def test_an_unknown_service_or_specialist_is_404(book):
    monday = next_monday()
    assert book(at(monday, "09:00"), service_id="0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f99").status_code == 404
    assert book(at(monday, "09:00"), provider_id="0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e99").status_code == 404


def test_a_replayed_idempotency_key_returns_the_first_answer_and_books_nothing_more(book, sessions, published):
    monday = next_monday()
    first = book(at(monday, "09:00"), key="booking-1")

    replay = book(at(monday, "09:00"), key="booking-1")

    assert replay.status_code == 201
    assert replay.get_json() == first.get_json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    with sessions() as session:
        assert session.execute(sa.text("SELECT count(*) FROM appointments")).scalar_one() == 1
    assert len(published(HELD)) == 1


def test_a_hold_past_its_expiry_that_nobody_swept_does_not_block_the_slot(book, sessions, published, client):
    monday = next_monday()
    stale = book(at(monday, "09:00"), provider_id=ANA).get_json()
    with sessions.begin() as session:
        session.execute(sa.text("UPDATE appointments SET hold_expires_at = :past"),
                        {"past": datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)}
                        if session.get_bind().dialect.name == "sqlite" else
                        {"past": datetime.now(UTC) - timedelta(seconds=1)})

    fresh = book(at(monday, "09:00"), provider_id=ANA)

    assert fresh.status_code == 201
    old = client.get(f"/clinics/{CLINIC}/appointments/{stale['appointment_id']}").get_json()
    assert old["status"] == "expired" and old["expired_reason"] == "hold_expired"
    [expired] = published("scheduling.appointment.expired.v1")
    assert expired["appointment"]["appointment_id"] == stale["appointment_id"]
    assert expired["reason"] == "hold_expired"


def test_the_gateway_may_choose_the_appointment_id(book):
    chosen = "0190f3a9-0000-7000-8000-000000000001"

    response = book(at(next_monday(), "09:00"), appointment_id=chosen)

    assert response.status_code == 201 and response.get_json()["appointment_id"] == chosen
    assert book(at(next_monday(), "10:40"), appointment_id=chosen).status_code == 409


def test_the_same_booking_again_with_its_appointment_id_answers_with_that_appointment(book, published):
    chosen = "0190f3a9-0000-7000-8000-000000000002"
    first = book(at(next_monday(), "09:00"), appointment_id=chosen).get_json()

    again = book(at(next_monday(), "09:00"), appointment_id=chosen)

    assert again.status_code == 201 and again.get_json() == first
    assert len(published(HELD)) == 1
