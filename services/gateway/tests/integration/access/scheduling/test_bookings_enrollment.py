"""A signed-in patient books with a session of their service plan: entitlements reserves one for
the appointment before scheduling holds the time, and releases it when the time could not be
held."""

from __future__ import annotations

import uuid

import pytest
import requests

from gateway.domain.bookings import appointment_id_for

pytestmark = pytest.mark.integration


@pytest.fixture
def enrolled(platform, scheduling, booking_clinic):
    """A booking clinic whose patient Paula holds an enrollment of `sessions` sessions of its
    service (her patient record made by a first booking, at 11:30)."""

    def build(sessions: int = 5):
        world = booking_clinic()
        paula = world.clinic.patient
        first = world.book(world.booking(world.at("11:30"), world.sam, patient={
            "name": "Paula Patient", "email": paula.email, "mobile": "+40722000111"}), member=paula)
        assert first.status_code == 201, first.get_data(as_text=True)
        plan = platform.call("POST", f"{world.admin_path}/plans", world.clinic.admin, expect=201, json={
            "name": "Five sessions", "kind": "session_package", "sessions": sessions,
            "price": {"amount_minor": 90000, "currency": "RON"}, "service_ids": [world.service["id"]]})
        scheduling.sync_entitlements()
        enrollment = requests.post(f"{platform.entitlements.url}/clinics/{world.clinic.id}/enrollments", timeout=5,
                                   json={"patient_id": first.get_json()["patient_id"], "plan_id": plan["id"]})
        assert enrollment.status_code == 201, enrollment.text
        return world, enrollment.json()

    return build


def reservation(platform, world, appointment_id) -> dict:
    response = requests.get(f"{platform.entitlements.url}/clinics/{world.clinic.id}/reservations/{appointment_id}",
                            timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def enrollment_now(platform, world, enrollment) -> dict:
    return requests.get(f"{platform.entitlements.url}/clinics/{world.clinic.id}/enrollments/"
                        f"{enrollment['enrollment_id']}", timeout=5).json()


def test_a_booking_with_the_patients_enrollment_reserves_one_of_its_sessions_and_needs_no_payment(
        platform, enrolled):
    world, enrollment = enrolled()

    response = world.book(world.booking(world.at("10:00"), world.sam, enrollment_id=enrollment["enrollment_id"]),
                          member=world.clinic.patient)

    assert response.status_code == 201, response.get_data(as_text=True)
    booked = response.get_json()
    assert booked["enrollment_id"] == enrollment["enrollment_id"]
    assert booked["status"] == "paid" and booked["hold_expires_at"] is None
    held = reservation(platform, world, booked["booking_id"])
    assert (held["status"], held["enrollment_id"]) == ("reserved", enrollment["enrollment_id"])
    assert enrollment_now(platform, world, enrollment)["sessions_reserved"] == 1


def test_when_the_time_is_taken_the_reserved_session_is_released(platform, enrolled, problem_of):
    world, enrollment = enrolled()
    paula = world.clinic.patient
    assert world.book(world.booking(world.at("10:00"), world.sam)).status_code == 201  # a guest was quicker

    response = world.book(world.booking(world.at("10:00"), world.sam, enrollment_id=enrollment["enrollment_id"]),
                          member=paula, key="paula-10")

    assert response.status_code == 409 and problem_of(response)["type"].endswith("/slot-taken")
    attempted = appointment_id_for(world.clinic.id, str(paula.account_id), "paula-10")
    assert reservation(platform, world, attempted)["status"] == "released"
    assert enrollment_now(platform, world, enrollment)["sessions_reserved"] == 0


def test_with_no_session_left_nothing_is_held(platform, enrolled, problem_of):
    world, enrollment = enrolled(sessions=1)
    paula = world.clinic.patient
    body = world.booking(world.at("09:00"), world.sam, enrollment_id=enrollment["enrollment_id"])
    assert world.book(body, member=paula).status_code == 201

    response = world.book({**body, "start": world.at("10:00")}, member=paula)

    assert response.status_code == 409
    assert problem_of(response)["type"].endswith("/no-sessions-left")
    starts = [a["start"] for a in world.call("GET", "/appointments", world.clinic.admin)["appointments"]]
    assert len(starts) == 2  # the first booking at 11:30 and the one with the session


def test_an_enrollment_that_does_not_exist_is_404_and_nothing_is_held(enrolled, problem_of):
    world, _ = enrolled()

    response = world.book(world.booking(world.at("10:00"), world.sam, enrollment_id=str(uuid.uuid4())),
                          member=world.clinic.patient)

    assert response.status_code == 404
    assert len(world.call("GET", "/appointments", world.clinic.admin)["appointments"]) == 1


def test_the_receptionist_books_by_phone_with_the_patients_enrollment(platform, enrolled):
    world, enrollment = enrolled()
    body = {"service_id": world.service["id"], "start": world.at("10:00"), "provider_id": world.sam["id"],
            "patient_id": enrollment["patient_id"], "enrollment_id": enrollment["enrollment_id"]}

    response = world.gateway.post(f"{world.admin_path}/appointments", json=body,
                                  headers=world.clinic.receptionist.headers)

    assert response.status_code == 201, response.get_data(as_text=True)
    assert reservation(platform, world, response.get_json()["booking_id"])["status"] == "reserved"


def test_a_booking_by_phone_with_an_enrollment_names_its_patient_by_id(enrolled, problem_of):
    world, enrollment = enrolled()
    body = {"service_id": world.service["id"], "start": world.at("10:00"), "enrollment_id": enrollment["enrollment_id"],
            "patient": {"name": "Paula Patient", "email": world.clinic.patient.email}}

    response = world.gateway.post(f"{world.admin_path}/appointments", json=body,
                                  headers=world.clinic.receptionist.headers)

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["enrollment_id"]
