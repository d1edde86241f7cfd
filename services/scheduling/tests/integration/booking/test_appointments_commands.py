"""What staff, specialists and patients do with an appointment after booking it: cancel,
reschedule, change the specialist, complete, no-show; versions, Idempotency-Key, the audit trail
and the list. PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from clinic_runtime.db import transaction
from clinic_runtime.refusals import Invalid
from scheduling.adapters.orm import appointments
from scheduling.domain.appointments import Actor
from scheduling.service_layer import appointments as use_cases
from scheduling.service_layer.unit_of_work import SqlUnitOfWork

from .conftest import ANA, CLINIC, DAN, SERVICE, at, next_monday, problem

pytestmark = pytest.mark.integration
STAFF = {"kind": "staff", "account_id": "0190f3b0-0000-7000-8000-00000000aaaa"}
BASE = f"/clinics/{CLINIC}/appointments"


@pytest.fixture
def confirmed(book, pay, meetings):
    """Ana's paid Monday 09:00 appointment, with its video meeting."""
    appointment = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    pay(appointment["appointment_id"])
    meetings()
    return appointment


@pytest.fixture
def read(client):
    return lambda appointment_id: client.get(f"{BASE}/{appointment_id}").get_json()


@pytest.fixture
def started(sessions):
    """Move an appointment so that it started an hour ago."""

    def move(appointment_id: str) -> None:
        start = datetime.now(UTC) - timedelta(hours=1)
        with sessions.begin() as session:
            session.execute(sa.update(appointments).where(
                appointments.c.appointment_id == uuid.UUID(appointment_id),
            ).values(start_at=start, end_at=start + timedelta(minutes=50), occupied_from=start - timedelta(minutes=5),
                     occupied_until=start + timedelta(minutes=60)))

    return move


def slots(client, provider=ANA) -> list[str]:
    day = next_monday().isoformat()
    response = client.get(f"/clinics/{CLINIC}/services/{SERVICE}/slots",
                          query_string={"from": day, "to": day, "tz": "Europe/Bucharest", "provider_id": provider})
    return [slot["start"][11:16] for slot in response.get_json()["slots"]]


# -- cancel -----------------------------------------------------------------------------------


def test_staff_cancel_a_paid_appointment_within_policy_free_its_slot_and_cancel_its_meeting(
        confirmed, client, read, published, meetings):
    response = client.post(f"{BASE}/{confirmed['appointment_id']}/cancel",
                           json={"reason": "patient called", "actor": STAFF})

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "canceled"
    assert body["cancellation"] == {"reason": "patient called", "actor": STAFF, "within_policy": True}
    [event] = published("scheduling.appointment.canceled.v1")
    assert (event["reason"], event["was_paid"], event["within_policy"]) == ("patient called", True, True)
    assert event["actor"] == STAFF
    assert slots(client) == ["09:00", "09:50", "10:40"]
    assert meetings() == 1  # the meeting is cancelled at the provider
    assert meetings() == 0


def test_a_cancel_inside_the_cancellation_window_is_outside_policy(book, client, sessions):
    appointment = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    soon = datetime.now(UTC) + timedelta(hours=47)  # the service's window is 48 hours
    with sessions.begin() as session:
        session.execute(sa.update(appointments).values(start_at=soon, end_at=soon + timedelta(minutes=50)))

    body = client.post(f"{BASE}/{appointment['appointment_id']}/cancel",
                       json={"reason": "late", "actor": {"kind": "patient"}}).get_json()

    assert body["cancellation"]["within_policy"] is False


def test_canceling_twice_is_409_invalid_transition(confirmed, client):
    path = f"{BASE}/{confirmed['appointment_id']}/cancel"
    client.post(path, json={"reason": "r", "actor": STAFF})

    again = client.post(path, json={"reason": "r", "actor": STAFF})

    assert again.status_code == 409
    assert problem(again)["type"].endswith("/invalid-transition")


def test_a_command_with_a_stale_if_match_is_412_and_changes_nothing(confirmed, client, read):
    response = client.post(f"{BASE}/{confirmed['appointment_id']}/cancel", json={"reason": "r", "actor": STAFF},
                           headers={"If-Match": '"1"'})

    assert response.status_code == 412
    assert read(confirmed["appointment_id"])["status"] == "paid"


def test_a_command_with_the_current_etag_applies(confirmed, client):
    etag = client.get(f"{BASE}/{confirmed['appointment_id']}").headers["ETag"]

    response = client.post(f"{BASE}/{confirmed['appointment_id']}/cancel", json={"reason": "r", "actor": STAFF},
                           headers={"If-Match": etag})

    assert response.status_code == 200


@pytest.mark.parametrize("command, body", [
    ("cancel", {"reason": "the patient called", "actor": STAFF}),
    ("provider", {"provider_id": DAN, "actor": STAFF}),
])
def test_a_command_sent_again_with_its_key_gets_the_first_answer(confirmed, client, command, body):
    """As the gateway sends it once more when its answer was lost: not a 409 or 412 for its own change."""
    path = f"{BASE}/{confirmed['appointment_id']}/{command}"
    etag = client.get(f"{BASE}/{confirmed['appointment_id']}").headers["ETag"]
    headers = {"Idempotency-Key": f"{command}-1", "If-Match": etag}

    first = client.post(path, json=body, headers=headers)
    again = client.post(path, json=body, headers=headers)

    assert first.status_code == 200, first.get_data(as_text=True)
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    assert again.headers["Idempotent-Replayed"] == "true"


def test_settling_sent_again_with_its_key_gets_the_first_answer(book, client):
    held = book(at(next_monday(), "09:00"), provider_id=ANA, enrollment_id="0190f3d0-0000-7000-8000-000000000001")
    path = f"{BASE}/{held.get_json()['appointment_id']}/settle"
    body = {"actor": {"kind": "system"}}

    first = client.post(path, json=body, headers={"Idempotency-Key": "settle-1"})
    again = client.post(path, json=body, headers={"Idempotency-Key": "settle-1"})

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json() == first.get_json()


# -- reschedule -------------------------------------------------------------------------------


def test_rescheduling_moves_payment_and_meeting_to_a_new_appointment_and_frees_the_old_slot(
        confirmed, client, read, published, meetings):
    response = client.post(f"{BASE}/{confirmed['appointment_id']}/reschedule",
                           json={"start": at(next_monday(), "10:40").isoformat(), "actor": STAFF})

    assert response.status_code == 201
    new = response.get_json()
    old = read(confirmed["appointment_id"])
    assert old["status"] == "rescheduled" and old["rescheduled_to"] == new["appointment_id"]
    assert new["rescheduled_from"] == confirmed["appointment_id"]
    assert new["status"] == "paid" and new["payment_id"] == old["payment_id"]
    assert new["video"] == old["video"] is not None
    assert datetime.fromisoformat(new["start"]) == at(next_monday(), "10:40")
    [event] = published("scheduling.appointment.rescheduled.v1")
    assert event["appointment"]["appointment_id"] == new["appointment_id"]
    assert event["appointment"]["rescheduled_from"] == confirmed["appointment_id"]
    assert datetime.fromisoformat(event["previous_start"]) == at(next_monday(), "09:00")
    assert event["video"] == new["video"]
    assert slots(client) == ["09:00"]  # 09:50 would reach 10:40's prep time
    assert meetings() == 1  # the meeting is moved at the provider


def test_every_appointment_of_a_reschedule_chain_names_the_one_first_booked_in_its_events(
        confirmed, client, read, published):
    first = confirmed["appointment_id"]
    second = client.post(f"{BASE}/{first}/reschedule", json={"start": at(next_monday(), "10:40").isoformat(),
                                                              "actor": STAFF}).get_json()
    third = client.post(f"{BASE}/{second['appointment_id']}/reschedule",
                        json={"start": at(next_monday(), "09:00").isoformat(), "actor": STAFF}).get_json()
    client.post(f"{BASE}/{third['appointment_id']}/cancel", json={"reason": "Patient is ill", "actor": STAFF})

    moves = published("scheduling.appointment.rescheduled.v1")
    [cancel] = published("scheduling.appointment.canceled.v1")
    [paid] = published("scheduling.appointment.paid.v1")
    assert [m["appointment"]["rescheduled_from"] for m in moves] == [first, second["appointment_id"]]
    assert [m["appointment"]["original_appointment_id"] for m in moves] == [first, first]
    assert cancel["appointment"]["original_appointment_id"] == first
    assert paid["appointment"]["original_appointment_id"] is None  # the appointment as booked


def test_rescheduling_into_time_overlapping_its_own_is_allowed(book, client):
    appointment = book(at(next_monday(), "09:50"), provider_id=ANA).get_json()

    response = client.post(f"{BASE}/{appointment['appointment_id']}/reschedule",
                           json={"start": at(next_monday(), "09:00").isoformat(), "actor": STAFF})

    assert response.status_code == 201
    assert response.get_json()["status"] == "pending_payment"
    assert response.get_json()["hold_expires_at"] == appointment["hold_expires_at"]


def test_rescheduling_onto_a_taken_slot_is_409_and_onto_no_slot_is_422(book, client, read):
    mine = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    assert book(at(next_monday(2), "09:00"), provider_id=ANA).status_code == 201
    path = f"{BASE}/{mine['appointment_id']}/reschedule"

    taken = client.post(path, json={"start": at(next_monday(2), "09:00").isoformat(), "actor": STAFF})
    nowhere = client.post(path, json={"start": at(next_monday(), "09:20").isoformat(), "actor": STAFF})

    assert taken.status_code == 409 and problem(taken)["type"].endswith("/slot-taken")
    assert nowhere.status_code == 422
    assert read(mine["appointment_id"])["status"] == "pending_payment"


def test_a_visit_keeps_the_length_it_was_booked_with_when_rescheduled_after_the_service_changed(
        book, client, deliver, service_event):
    """Booked as 50 minutes with 5 and 10 minutes of buffers; the service is now 30 minutes
    without: a new time must fit the 50 minutes booked, on the service's present grid."""
    mine = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    deliver(service_event(2, duration_minutes=30, buffer_before_minutes=0, buffer_after_minutes=0,
                          provider_ids=[uuid.UUID(ANA), uuid.UUID(DAN)]))
    path = f"{BASE}/{mine['appointment_id']}/reschedule"

    past_closing = client.post(path, json={"start": at(next_monday(), "11:30").isoformat(), "actor": STAFF})
    fits = client.post(path, json={"start": at(next_monday(), "11:00").isoformat(), "actor": STAFF})

    assert past_closing.status_code == 422  # 11:30 + 50 minutes is past Ana's 12:00
    assert fits.status_code == 201
    moved = fits.get_json()
    assert datetime.fromisoformat(moved["end"]) - datetime.fromisoformat(moved["start"]) == timedelta(minutes=50)


def test_a_payment_for_an_appointment_since_rescheduled_pays_its_successor(book, client, pay, read):
    mine = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    new = client.post(f"{BASE}/{mine['appointment_id']}/reschedule",
                      json={"start": at(next_monday(), "10:40").isoformat(), "actor": STAFF}).get_json()

    pay(mine["appointment_id"])

    assert read(new["appointment_id"])["status"] == "paid"
    assert read(mine["appointment_id"])["status"] == "rescheduled"


# -- provider change, complete, no-show -------------------------------------------------------


def test_changing_the_specialist_to_a_free_one(confirmed, client, published, meetings):
    response = client.post(f"{BASE}/{confirmed['appointment_id']}/provider", json={"provider_id": DAN, "actor": STAFF})

    assert response.status_code == 200 and response.get_json()["provider_id"] == DAN
    [event] = published("scheduling.appointment.provider_changed.v1")
    assert event["previous_provider_id"] == ANA and event["video"] is not None
    assert slots(client, ANA) == ["09:00", "09:50", "10:40"]
    assert slots(client, DAN) == ["10:40"]
    assert meetings() == 1


def test_changing_to_a_specialist_who_is_busy_then_is_409(confirmed, book, client):
    assert book(at(next_monday(), "09:00"), provider_id=DAN).status_code == 201

    response = client.post(f"{BASE}/{confirmed['appointment_id']}/provider", json={"provider_id": DAN, "actor": STAFF})

    assert response.status_code == 409 and problem(response)["type"].endswith("/slot-taken")


def test_an_appointment_that_started_is_completed_or_a_no_show(confirmed, book, pay, client, started, published):
    started(confirmed["appointment_id"])
    other = book(at(next_monday(), "09:00"), provider_id=DAN).get_json()
    pay(other["appointment_id"])
    started(other["appointment_id"])

    completed = client.post(f"{BASE}/{confirmed['appointment_id']}/complete", json={"actor": STAFF})
    missed = client.post(f"{BASE}/{other['appointment_id']}/no-show")

    assert completed.status_code == 200 and completed.get_json()["status"] == "completed"
    assert missed.status_code == 200 and missed.get_json()["status"] == "no_show"
    assert len(published("scheduling.appointment.completed.v1")) == 1
    assert len(published("scheduling.appointment.no_show.v1")) == 1


def test_an_appointment_is_not_completed_before_it_starts_nor_unpaid(confirmed, book, client):
    unpaid = book(at(next_monday(), "09:00"), provider_id=DAN).get_json()

    early = client.post(f"{BASE}/{confirmed['appointment_id']}/complete", json={"actor": STAFF})
    pending = client.post(f"{BASE}/{unpaid['appointment_id']}/no-show", json={"actor": STAFF})

    assert early.status_code == 409 and "not started" in problem(early)["detail"]
    assert pending.status_code == 409


def test_an_unknown_appointment_is_404(client):
    assert client.post(f"{BASE}/{uuid.uuid4()}/cancel", json={"reason": "r", "actor": STAFF}).status_code == 404
    assert client.get(f"{BASE}/{uuid.uuid4()}").status_code == 404


# -- audit trail ------------------------------------------------------------------------------


def test_every_staff_change_is_in_the_audit_trail_with_before_and_after(book, client):
    appointment = book(at(next_monday(), "09:00"), provider_id=ANA, actor=STAFF).get_json()
    client.post(f"{BASE}/{appointment['appointment_id']}/provider", json={"provider_id": DAN, "actor": STAFF})
    client.post(f"{BASE}/{appointment['appointment_id']}/cancel", json={"reason": "duplicate", "actor": STAFF})

    entries = client.get(f"/clinics/{CLINIC}/audit",
                         query_string={"appointment_id": appointment["appointment_id"]}).get_json()["entries"]

    assert [entry["action"] for entry in entries] == [
        "appointment.booked", "appointment.provider_changed", "appointment.canceled"]
    assert all(entry["actor"] == STAFF for entry in entries)
    assert entries[0]["before"] is None and entries[0]["after"]["status"] == "pending_payment"
    assert (entries[1]["before"]["provider_id"], entries[1]["after"]["provider_id"]) == (ANA, DAN)
    assert (entries[2]["before"]["status"], entries[2]["after"]["status"]) == ("pending_payment", "canceled")
    assert entries[2]["after"]["cancellation_reason"] == "duplicate"
    by_patient = client.get(f"/clinics/{CLINIC}/audit", query_string={"patient_id": appointment["patient_id"]})
    assert [entry["action"] for entry in by_patient.get_json()["entries"]] == [
        "patient.registered", "appointment.booked", "appointment.provider_changed", "appointment.canceled"]


def test_what_patients_do_themselves_is_not_a_staff_change(book, client):
    appointment = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    client.post(f"{BASE}/{appointment['appointment_id']}/cancel", json={"reason": "r", "actor": {"kind": "patient"}})

    response = client.get(f"/clinics/{CLINIC}/audit", query_string={"appointment_id": appointment["appointment_id"]})

    assert response.get_json() == {"entries": [], "next_cursor": None}


# -- the list ---------------------------------------------------------------------------------


def test_the_list_filters_by_days_service_provider_status_and_patient_and_pages_by_start(book, client):
    first, second = next_monday(), next_monday(2)
    ana_first = book(at(first, "09:00"), provider_id=ANA).get_json()
    dan_first = book(at(first, "09:50"), provider_id=DAN).get_json()
    ana_second = book(at(second, "10:40"), provider_id=ANA,
                      patient={"name": "Ion Pop", "email": "ion@example.ro", "mobile": "+40722000111"}).get_json()
    client.post(f"{BASE}/{dan_first['appointment_id']}/cancel", json={"reason": "r", "actor": STAFF})

    def ids(**query) -> list[str]:
        response = client.get(BASE, query_string=query)
        assert response.status_code == 200, response.get_json()
        return [appointment["appointment_id"] for appointment in response.get_json()["appointments"]]

    assert ids() == [ana_first["appointment_id"], dan_first["appointment_id"], ana_second["appointment_id"]]
    assert ids(**{"from": first.isoformat(), "to": first.isoformat()}) == [
        ana_first["appointment_id"], dan_first["appointment_id"]]
    assert ids(**{"from": at(first, "09:30").isoformat()}) == [
        dan_first["appointment_id"], ana_second["appointment_id"]]
    assert ids(provider_id=ANA) == [ana_first["appointment_id"], ana_second["appointment_id"]]
    assert ids(status="canceled") == [dan_first["appointment_id"]]
    assert ids(status="pending_payment,canceled", service_id=SERVICE) == ids()
    assert ids(patient_id=ana_second["patient_id"]) == [ana_second["appointment_id"]]

    page = client.get(BASE, query_string={"limit": 2}).get_json()
    rest = client.get(BASE, query_string={"limit": 2, "cursor": page["next_cursor"]}).get_json()
    assert [a["appointment_id"] for a in page["appointments"] + rest["appointments"]] == ids()
    assert rest["next_cursor"] is None


def test_bad_list_parameters_are_422_each_named(client, specialists):
    response = client.get(BASE, query_string={"from": "monday", "status": "lost", "limit": "0",
                                              "provider_id": "ana", "cursor": "%%%"})

    assert response.status_code == 422
    assert {error["field"] for error in problem(response)["errors"]} == {
        "from", "status", "limit", "provider_id", "cursor"}


# -- at short notice --------------------------------------------------------------------------


def test_staff_move_an_appointment_within_the_minimum_notice_that_new_bookings_keep(book, pay, sessions):
    """A specialist off sick just before a visit: staff hand it to a colleague, or move it to a
    time sooner than a patient could book."""
    monday = next_monday()
    late = book(at(monday, "10:40"), provider_id=ANA).get_json()
    pay(late["appointment_id"])
    staff = Actor("staff", uuid.UUID(STAFF["account_id"]))

    def run(command, now):
        with transaction(sessions) as session:
            return command(SqlUnitOfWork(session), now)

    handed = run(lambda uow, now: use_cases.change_provider(
        uow, uuid.UUID(CLINIC), uuid.UUID(late["appointment_id"]), provider_id=uuid.UUID(DAN), actor=staff,
        expected_version=None, now=now), at(monday, "09:55"))  # 45 minutes before it starts
    old, moved = run(lambda uow, now: use_cases.reschedule(
        uow, uuid.UUID(CLINIC), handed.appointment_id, start=at(monday, "09:50"), actor=staff,
        expected_version=None, now=now), at(monday, "09:00"))

    assert handed.provider_id == uuid.UUID(DAN) and moved.start == at(monday, "09:50")
    with pytest.raises(Invalid):  # a new booking 50 minutes ahead is still refused
        run(lambda uow, now: use_cases.book(uow, use_cases.Booking(
            clinic_id=uuid.UUID(CLINIC), service_id=uuid.UUID(SERVICE), start=at(monday, "09:50"),
            actor=staff, provider_id=uuid.UUID(ANA), patient_id=uuid.UUID(late["patient_id"])),
            hold=timedelta(minutes=15), now=now), at(monday, "09:00"))
