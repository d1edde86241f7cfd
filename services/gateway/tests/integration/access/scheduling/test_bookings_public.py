"""Booking through the gateway, as the design's public contract says: a guest or a signed-in
patient takes a slot (a hold), gets a booking token, and reads the booking back with it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.integration

CONTRACT = {"booking_id", "status", "hold_expires_at", "price", "payment", "access_token"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def appointments_of(world, **filters) -> list[dict]:
    return world.call("GET", "/appointments", world.clinic.admin, query_string=filters)["appointments"]


def test_a_guest_books_a_slot_and_gets_a_hold_with_its_price_and_a_booking_token(booking_clinic):
    world = booking_clinic()

    response = world.book(world.booking(world.at("10:00"), world.sam))

    assert response.status_code == 201, response.get_data(as_text=True)
    booked = response.get_json()
    assert set(booked) >= CONTRACT
    assert booked["status"] == "pending_payment"
    assert booked["price"] == {"amount_minor": 20000, "currency": "RON"}
    assert booked["payment"] == {"status": "awaiting_billing", "amount": booked["price"]}
    assert datetime.fromisoformat(booked["start"]) == datetime.fromisoformat(world.at("10:00"))
    assert datetime.fromisoformat(booked["hold_expires_at"]) > datetime.now(UTC)
    assert response.headers["Location"] == f"/v1/bookings/{booked['booking_id']}"
    [held] = appointments_of(world)
    assert (held["appointment_id"], held["provider_id"], held["booked_by"]) == (
        booked["booking_id"], world.sam["id"], {"kind": "patient", "account_id": None})


def test_the_booking_token_reads_the_booking_with_names_policy_and_no_video_before_payment(booking_clinic):
    world = booking_clinic()
    booked = world.book(world.booking(world.at("09:30"), world.sofia)).get_json()

    response = world.gateway.get(f"/v1/bookings/{booked['booking_id']}", headers=bearer(booked["access_token"]))

    assert response.status_code == 200, response.get_data(as_text=True)
    shown = response.get_json()
    assert shown["status"] == "pending_payment"
    assert shown["service"] == {"id": world.service["id"], "name": "Physiotherapy session"}
    assert shown["provider"] == {"id": world.sofia["id"], "name": "Dr. Sofia Radu"}
    assert (shown["start"], shown["end"]) == (booked["start"], booked["end"])
    assert shown["timezone"] == "Europe/Bucharest"
    assert shown["video"] is None and shown["notifications"] == []
    assert set(shown["cancellation_policy"]) == {"cancellation_window_hours", "refund_policy"}


def test_once_paid_the_booking_shows_the_link_to_join_and_never_the_hosts(booking_clinic, scheduling):
    world = booking_clinic()
    booked = world.book(world.booking(world.at("09:30"), world.sofia)).get_json()
    scheduling.paid(world.clinic.id, booked["booking_id"])
    meeting = world.call("GET", f"/appointments/{booked['booking_id']}", world.clinic.other_specialist)["video"]

    response = world.gateway.get(f"/v1/bookings/{booked['booking_id']}", headers=bearer(booked["access_token"]))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "paid"
    assert response.get_json()["video"] == {"join_url": meeting["join_url"]}
    assert meeting["host_url"] and meeting["host_url"] not in response.get_data(as_text=True)
    assert "host_url" not in response.get_data(as_text=True)


def test_the_token_expires_thirty_days_after_the_appointment(booking_clinic):
    world = booking_clinic()

    booked = world.book(world.booking(world.at("11:30"))).get_json()

    assert (datetime.fromisoformat(booked["access_token_expires_at"])
            == datetime.fromisoformat(booked["end"]) + timedelta(days=30))


def test_a_taken_slot_is_answered_409_and_the_first_booking_keeps_it(booking_clinic, problem_of):
    world = booking_clinic()
    first = world.book(world.booking(world.at("10:00"), world.sam))

    second = world.book(world.booking(world.at("10:00"), world.sam, patient={
        "name": "Dan Marin", "email": "dan.marin@example.com", "mobile": "+40722999888"}))

    assert first.status_code == 201
    assert second.status_code == 409
    assert problem_of(second)["type"].endswith("/slot-taken")
    assert [a["appointment_id"] for a in appointments_of(world)] == [first.get_json()["booking_id"]]


def test_without_a_named_specialist_the_next_free_one_takes_the_booking(booking_clinic):
    world = booking_clinic()
    world.book(world.booking(world.at("10:00"), world.sam))

    other = world.book(world.booking(world.at("10:00")))

    assert other.status_code == 201
    assert other.get_json()["provider_id"] == world.sofia["id"]


@pytest.mark.parametrize("change, field", [
    ({"start": "not a time"}, "start"),
    ({"start": "2027-08-02T10:00:00"}, "start"),  # no offset
    ({"service_id": "nope"}, "service_id"),
    ({"patient": None}, "patient"),
    ({"sms_consent": {"given": "yes", "text_version": "v1"}}, "sms_consent.given"),
])
def test_bad_input_is_422_naming_the_field_and_books_nothing(booking_clinic, problem_of, change, field):
    world = booking_clinic()

    response = world.book({**world.booking(world.at("10:00")), **change})

    assert response.status_code == 422
    assert field in {e["field"] for e in problem_of(response)["errors"]}
    assert appointments_of(world) == []


def test_a_start_that_is_no_slot_is_422_from_scheduling(booking_clinic, problem_of):
    world = booking_clinic()

    response = world.book(world.booking(world.at("10:10")))

    assert response.status_code == 422, response.get_data(as_text=True)
    assert appointments_of(world) == []


def test_a_guest_cannot_book_against_an_enrollment(booking_clinic, problem_of):
    world = booking_clinic()

    response = world.book(world.booking(world.at("10:00"), enrollment_id=str(uuid.uuid4())))

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["enrollment_id"]


# -- Idempotency-Key --------------------------------------------------------------------------


def test_a_replayed_idempotency_key_returns_the_first_answer_and_creates_nothing(booking_clinic):
    world = booking_clinic()
    body = world.booking(world.at("09:00"), world.sam)

    first = world.book(body, key="booking-0001")
    replay = world.book(body, key="booking-0001")

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.get_json() == first.get_json()
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert len(appointments_of(world)) == 1


def test_a_key_reused_with_another_body_is_refused_and_creates_nothing(booking_clinic):
    world = booking_clinic()
    world.book(world.booking(world.at("09:00"), world.sam), key="booking-0002")

    reused = world.book(world.booking(world.at("11:00"), world.sam), key="booking-0002")

    assert reused.status_code == 422
    assert len(appointments_of(world)) == 1


def test_two_patients_keys_never_meet(booking_clinic):
    world = booking_clinic()

    mine = world.book(world.booking(world.at("09:00"), world.sam), key="same-key", member=world.clinic.patient)
    guests = world.book(world.booking(world.at("09:30"), world.sam), key="same-key")

    assert (mine.status_code, guests.status_code) == (201, 201)
    assert mine.get_json()["booking_id"] != guests.get_json()["booking_id"]


# -- who books --------------------------------------------------------------------------------


def test_a_signed_in_patient_books_as_themselves(booking_clinic):
    world = booking_clinic()
    paula = world.clinic.patient

    booked = world.book(world.booking(world.at("09:00"), patient={"name": "Paula Patient", "email": paula.email,
                                                                  "mobile": "+40722000111"}), member=paula)

    assert booked.status_code == 201, booked.get_data(as_text=True)
    record = world.call("GET", f"/patients/{booked.get_json()['patient_id']}", world.clinic.admin)
    assert record["account_id"] == str(paula.account_id)
    [held] = appointments_of(world)
    assert held["booked_by"] == {"kind": "patient", "account_id": str(paula.account_id)}


def test_a_guest_is_not_told_whether_the_details_are_a_patients_of_the_clinic(booking_clinic):
    world = booking_clinic()
    world.call("POST", "/patients", world.clinic.admin, expect=201, json=world.booking(world.at("09:00"))["patient"])

    response = world.book(world.booking(world.at("09:00")))

    assert response.status_code == 201, response.get_data(as_text=True)
    assert "patient_id" not in response.get_json()


def test_a_signed_in_patient_with_a_record_books_for_it_whatever_details_are_sent(booking_clinic):
    world = booking_clinic()
    paula = world.clinic.patient
    first = world.book(world.booking(world.at("09:00"), patient={"name": "Paula Patient", "email": paula.email,
                                                                 "mobile": "+40722000111"}), member=paula).get_json()

    again = world.book(world.booking(world.at("10:00"), patient={
        "name": "Dan Marin", "email": "dan.marin@example.com", "mobile": "+40722999888"}), member=paula)

    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json()["patient_id"] == first["patient_id"]
    record = world.call("GET", f"/patients/{first['patient_id']}", world.clinic.admin)
    assert (record["name"], record["email"], record["mobile"]) == ("Paula Patient", paula.email, "+40722000111")
    assert [p["patient_id"] for p in world.call("GET", "/patients", world.clinic.admin)["patients"]] == [
        first["patient_id"]]


def test_a_signed_in_patient_books_again_without_repeating_their_details(booking_clinic, problem_of):
    world = booking_clinic()
    paula = world.clinic.patient
    body = world.booking(world.at("09:00"))
    del body["patient"]

    first_time = world.book(body, member=paula)
    first = world.book(world.booking(world.at("09:00"), patient={"name": "Paula Patient", "email": paula.email,
                                                                 "mobile": "+40722000111"}), member=paula).get_json()
    again = world.book({**body, "start": world.at("10:00")}, member=paula)

    assert first_time.status_code == 422 and [e["field"] for e in problem_of(first_time)["errors"]] == ["patient"]
    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json()["patient_id"] == first["patient_id"]


@pytest.mark.parametrize("who", ["receptionist", "specialist", "another_clinics_patient"])
def test_staff_and_other_clinics_patients_may_not_book_here_with_their_login(booking_clinic, tenants, problem_of,
                                                                           who):
    world = booking_clinic()
    member = tenants.other.patient if who == "another_clinics_patient" else getattr(world.clinic, who)

    response = world.book(world.booking(world.at("09:00")), member=member)

    assert response.status_code == 403
    assert problem_of(response)["type"].endswith("/forbidden")
    assert appointments_of(world) == []


# -- the booking token, misused ---------------------------------------------------------------


def test_a_token_for_another_booking_finds_nothing_exactly_as_a_booking_that_does_not_exist(booking_clinic,
                                                                                            problem_of):
    world = booking_clinic()
    mine = world.book(world.booking(world.at("09:00"))).get_json()
    theirs = world.book(world.booking(world.at("09:30"))).get_json()

    other = world.gateway.get(f"/v1/bookings/{theirs['booking_id']}", headers=bearer(mine["access_token"]))
    nowhere = world.gateway.get(f"/v1/bookings/{uuid.uuid4()}", headers=bearer(mine["access_token"]))

    assert (other.status_code, nowhere.status_code) == (404, 404)
    strip = lambda body: {k: v for k, v in body.items() if k != "instance"}  # noqa: E731
    assert strip(problem_of(other)) == strip(problem_of(nowhere))
    assert theirs["booking_id"] not in other.get_data(as_text=True).replace(f"/v1/bookings/{theirs['booking_id']}", "")


def test_a_login_token_does_not_open_a_booking(booking_clinic):
    world = booking_clinic()
    booked = world.book(world.booking(world.at("09:00")), member=world.clinic.patient).get_json()

    for member in (world.clinic.patient, world.clinic.admin):
        response = world.gateway.get(f"/v1/bookings/{booked['booking_id']}", headers=member.headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_booking_token_is_no_login(booking_clinic, problem_of):
    world = booking_clinic()
    booked = world.book(world.booking(world.at("09:00"))).get_json()

    me = world.gateway.get("/v1/me", headers=bearer(booked["access_token"]))
    admin = world.gateway.get(f"{world.admin_path}/appointments", headers=bearer(booked["access_token"]))

    assert (me.status_code, admin.status_code) == (401, 401)


def test_no_token_a_tampered_one_or_an_expired_one_is_401(booking_clinic, platform):
    world = booking_clinic()
    booked = world.book(world.booking(world.at("09:00"))).get_json()
    path = f"/v1/bookings/{booked['booking_id']}"
    header, claims, signature = booked["access_token"].split(".")
    expired, _ = platform.tokens.booking_token(uuid.UUID(booked["booking_id"]), world.clinic.id,
                                               datetime.now(UTC) - timedelta(seconds=1),
                                               datetime.now(UTC) - timedelta(days=1))

    answers = [world.gateway.get(path, headers=headers).status_code for headers in (
        {}, bearer(f"{header}.{claims}x.{signature}"), bearer(expired), {"Authorization": "Basic YTpi"})]

    assert answers == [401, 401, 401, 401]


def test_the_booking_token_follows_the_booking_when_the_clinic_reschedules_it(booking_clinic):
    world = booking_clinic()
    booked = world.book(world.booking(world.at("09:00"), world.sam)).get_json()
    moved = world.call("POST", f"/appointments/{booked['booking_id']}/reschedule", world.clinic.receptionist,
                       expect=201, json={"start": world.at("10:00")})

    old = world.gateway.get(f"/v1/bookings/{booked['booking_id']}", headers=bearer(booked["access_token"]))
    new = world.gateway.get(f"/v1/bookings/{moved['appointment_id']}", headers=bearer(booked["access_token"]))

    assert (old.status_code, new.status_code) == (200, 200)
    assert (old.get_json()["status"], old.get_json()["rescheduled_to"]) == ("rescheduled", moved["appointment_id"])
    assert (new.get_json()["status"], new.get_json()["rescheduled_from"]) == ("pending_payment", booked["booking_id"])
    assert datetime.fromisoformat(new.get_json()["start"]) == datetime.fromisoformat(world.at("10:00"))
