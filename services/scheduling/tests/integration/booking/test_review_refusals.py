"""Requests a review found answered with a 500, or applied when they must not be: each is a 4xx
problem (or a refund) and writes nothing it should not. PostgreSQL and SQLite."""

from __future__ import annotations

import base64
import uuid

import pytest
import sqlalchemy as sa

from .conftest import ANA, CLINIC, PATIENT, at, next_monday, problem

pytestmark = pytest.mark.integration
APPOINTMENTS = f"/clinics/{CLINIC}/appointments"
STAFF = {"kind": "staff", "account_id": "0190f3b0-0000-7000-8000-00000000aaaa"}
REFUND_DUE = "scheduling.appointment.refund_due.v1"


def count(sessions, table: str) -> int:
    with sessions() as session:
        return session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:00:00+00:00",
                                   "0001-01-01T10:00:00+14:00"])
def test_a_start_at_the_ends_of_the_calendar_is_422(book, client, sessions, start):
    response = client.post(APPOINTMENTS, json={"service_id": "0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01",
                                               "start": start, "patient": PATIENT,
                                               "actor": {"kind": "patient"}})

    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == "start"
    assert count(sessions, "appointments") == 0 and count(sessions, "patients") == 0


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00+00:00", "9999-12-31T23:30:00+00:00",
                                   "0001-01-01T00:00:00+00:00"])
def test_rescheduling_to_the_end_of_the_calendar_is_422(book, client, start):
    """23:30 in year 9999 leaves no room for the visit's 50 minutes: it was a 500."""
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()

    response = client.post(f"{APPOINTMENTS}/{hold['appointment_id']}/reschedule",
                           json={"start": start, "actor": STAFF})

    assert response.status_code == 422 and problem(response)["errors"][0]["field"] == "start"
    assert client.get(f"{APPOINTMENTS}/{hold['appointment_id']}").get_json()["status"] == "pending_payment"


@pytest.mark.parametrize("query", ["to=9999-12-31", "to=9999-12-31T23:00:00-05:00",
                                   "from=0001-01-01T00:00:00%2B14:00"])
def test_list_bounds_outside_the_calendar_are_422(client, specialists, query):
    response = client.get(f"{APPOINTMENTS}?{query}")

    assert response.status_code == 422


@pytest.mark.parametrize("start", ["2026-12-07T07:00:00", "9999-12-31T23:00:00-05:00"])
def test_a_cursor_whose_time_lost_its_offset_or_leaves_the_calendar_is_422(client, specialists, start):
    cursor = base64.urlsafe_b64encode(f"{start}|{uuid.uuid4()}".encode()).decode().rstrip("=")

    response = client.get(f"{APPOINTMENTS}?cursor={cursor}")

    assert response.status_code == 422 and problem(response)["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(("patient", "field"), [
    ({**PATIENT, "name": "Maria\x00Ionescu"}, "patient.name"),
    ({**PATIENT, "email": "maria\x00@example.ro"}, "patient.email"),
    ({**PATIENT, "mobile": "+40712\x07345678"}, "patient.mobile"),
])
def test_control_characters_in_a_patients_details_are_422_and_nothing_is_written(book, sessions, patient, field):
    response = book(at(next_monday(), "09:00"), patient=patient)

    assert response.status_code == 422
    assert [error["field"] for error in problem(response)["errors"]] == [field]
    assert count(sessions, "patients") == 0 and count(sessions, "appointments") == 0


@pytest.mark.parametrize("text_version", ["   ", "sms\x00-2026"])
def test_a_blank_or_unprintable_consent_wording_version_is_422(book, sessions, text_version):
    response = book(at(next_monday(), "09:00"), sms_consent={"given": True, "text_version": text_version})

    assert response.status_code == 422
    assert count(sessions, "patients") == 0


@pytest.mark.parametrize("given", ["yes", "true", 1, None])
def test_consent_given_as_anything_but_true_or_false_is_422(book, client, clinic, sessions, given):
    consent = {"given": given, "text_version": "v1"}

    registered = client.post(f"/clinics/{CLINIC}/patients", json={**PATIENT, "sms_consent": consent, "actor": STAFF})
    booked = book(at(next_monday(), "09:00"), sms_consent=consent)

    for response in (registered, booked):
        assert response.status_code == 422
        assert [error["field"] for error in problem(response)["errors"]] == ["sms_consent.given"]
    assert count(sessions, "patients") == 0 and count(sessions, "appointments") == 0


def test_a_patient_registered_by_staff_with_a_nul_in_the_name_is_422(client, clinic):
    response = client.post(f"/clinics/{CLINIC}/patients", json={**PATIENT, "name": "Ana\x00", "actor": STAFF})

    assert response.status_code == 422


@pytest.mark.parametrize("reason", ["   ", "no\x00pe", "\u200b", "\u3164 \ufeff"])
def test_a_blank_or_unprintable_cancel_reason_is_422_and_cancels_nothing(book, client, reason):
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()

    response = client.post(f"{APPOINTMENTS}/{hold['appointment_id']}/cancel", json={"reason": reason, "actor": STAFF})

    assert response.status_code == 422
    assert client.get(f"{APPOINTMENTS}/{hold['appointment_id']}").get_json()["status"] == "pending_payment"


# -- overdue holds ----------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "body"), [
    ("reschedule", lambda: {"start": at(next_monday(2), "09:00").isoformat(), "actor": STAFF}),
    ("provider", lambda: {"provider_id": "0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e02", "actor": STAFF}),
])
def test_an_overdue_hold_is_not_rescheduled_nor_given_another_specialist(book, client, overdue, command, body):
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    overdue(hold["appointment_id"])

    response = client.post(f"{APPOINTMENTS}/{hold['appointment_id']}/{command}", json=body())

    assert response.status_code == 409 and problem(response)["type"].endswith("/hold-expired")
    after = client.get(f"{APPOINTMENTS}/{hold['appointment_id']}").get_json()
    assert after["status"] == "pending_payment" and after["version"] == 1


def test_canceling_an_overdue_hold_cancels_it_so_a_late_payment_is_refunded(book, client, overdue, published, pay):
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    overdue(hold["appointment_id"])

    response = client.post(f"{APPOINTMENTS}/{hold['appointment_id']}/cancel",
                           json={"reason": "changed my mind", "actor": STAFF})

    assert response.status_code == 200
    assert response.get_json()["status"] == "canceled"
    [canceled] = published("scheduling.appointment.canceled.v1")
    assert canceled["reason"] == "changed my mind" and canceled["was_paid"] is False
    assert published("scheduling.appointment.expired.v1") == []
    payment_id = pay(hold["appointment_id"])
    assert client.get(f"{APPOINTMENTS}/{hold['appointment_id']}").get_json()["status"] == "canceled"
    [refund] = published(REFUND_DUE)
    assert (refund["payment_id"], refund["reason"]) == (str(payment_id), "appointment_no_longer_payable")


def test_an_expired_hold_can_be_canceled_so_a_late_payment_does_not_take_the_slot_again(
        book, client, overdue, sweep, published, pay):
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    overdue(hold["appointment_id"])
    sweep()

    response = client.post(f"{APPOINTMENTS}/{hold['appointment_id']}/cancel",
                           json={"reason": "booked elsewhere", "actor": {"kind": "patient"}})

    assert response.status_code == 200 and response.get_json()["status"] == "canceled"
    pay(hold["appointment_id"])
    assert client.get(f"{APPOINTMENTS}/{hold['appointment_id']}").get_json()["status"] == "canceled"
    assert [refund["reason"] for refund in published(REFUND_DUE)] == ["appointment_no_longer_payable"]
    assert book(at(next_monday(), "09:00"), provider_id=ANA).status_code == 201


# -- payments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [{"amount_minor": 100, "currency": "RON"},
                                    {"amount_minor": 20000, "currency": "EUR"}])
def test_a_payment_that_is_not_the_price_is_refunded_and_leaves_the_hold_as_it_was(book, client, pay, published,
                                                                                  amount):
    hold = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()

    payment_id = pay(hold["appointment_id"], amount=amount)

    after = client.get(f"{APPOINTMENTS}/{hold['appointment_id']}").get_json()
    assert after["status"] == "pending_payment" and after["payment_id"] is None and after["version"] == 1
    [refund] = published(REFUND_DUE)
    assert refund["payment_id"] == str(payment_id) and refund["amount"] == amount

    pay(hold["appointment_id"])  # the right payment still pays it
    assert client.get(f"{APPOINTMENTS}/{hold['appointment_id']}").get_json()["status"] == "paid"


# -- the audit trail, paged -------------------------------------------------------------------


def test_the_audit_trail_is_paged_by_limit_and_cursor(book, client):
    for week in (1, 2, 3):
        book(at(next_monday(week), "09:00"), provider_id=ANA, actor=STAFF)
    audit = f"/clinics/{CLINIC}/audit"
    everything = client.get(f"{audit}?limit=100").get_json()
    assert everything["next_cursor"] is None
    expected = [entry["entry_id"] for entry in everything["entries"]]
    assert len(expected) >= 3

    seen, cursor = [], None
    while True:
        page = client.get(f"{audit}?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        assert len(page["entries"]) <= 2
        seen += [entry["entry_id"] for entry in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert len(client.get(audit).get_json()["entries"]) == len(expected)  # 50 by default


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "cursor=bm9wZQ"])
def test_bad_audit_paging_parameters_are_422(client, specialists, query):
    assert client.get(f"/clinics/{CLINIC}/audit?{query}").status_code == 422



# -- whose record a booking is for ------------------------------------------------------------


def test_a_signed_in_booker_with_someones_name_and_email_gets_a_record_of_their_own(book, client, published):
    first = book(at(next_monday(), "09:00"), actor={"kind": "patient", "account_id": None}).get_json()
    before = client.get(f"/clinics/{CLINIC}/patients/{first['patient_id']}").get_json()
    intruder = str(uuid.uuid4())

    taken = book(at(next_monday(2), "09:00"), actor={"kind": "patient", "account_id": intruder},
                 patient={**PATIENT, "mobile": "+40722000111"}, sms_consent={"given": False, "text_version": "x"})

    assert taken.status_code == 201 and taken.get_json()["patient_id"] != first["patient_id"]
    assert client.get(f"/clinics/{CLINIC}/patients/{first['patient_id']}").get_json() == before
    own = client.get(f"/clinics/{CLINIC}/patients/{taken.get_json()['patient_id']}").get_json()
    assert own["account_id"] == intruder


def test_a_guest_naming_a_known_patient_books_for_them_without_changing_their_record(book, client, published):
    first = book(at(next_monday(), "09:00"), actor={"kind": "patient", "account_id": None}).get_json()
    before = client.get(f"/clinics/{CLINIC}/patients/{first['patient_id']}").get_json()

    again = book(at(next_monday(2), "09:00"), patient={**PATIENT, "mobile": "+40722000111"},
                 sms_consent={"given": False, "text_version": "sms-2026-02"}).get_json()

    assert again["patient_id"] == first["patient_id"]
    assert client.get(f"/clinics/{CLINIC}/patients/{first['patient_id']}").get_json() == before
    assert len(published("scheduling.patient.upserted.v1")) == 1
