"""Reserving, committing and releasing enrollment sessions through the real app, on PostgreSQL
and SQLite: the API bookings use, the appointment events that settle a reservation (in every
order they may arrive in, and racing each other), the worker's release of a reservation nobody
committed, and many bookings racing for the last sessions."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clinic_contracts import uuid7
from clinic_contracts.events.catalog import Money, PlanUpsertedV1
from clinic_contracts.events.entitlements import ReservationCommittedV1, ReservationReleasedV1
from clinic_contracts.events.scheduling import (
    Actor,
    AppointmentCanceledV1,
    AppointmentConfirmedV1,
    AppointmentExpiredV1,
    AppointmentPaidV1,
    AppointmentRescheduledV1,
    AppointmentSnapshot,
    PatientUpsertedV1,
)
from clinic_runtime.db import transaction, utcnow
from entitlements.adapters import care
from entitlements.service_layer import enrollments as cases
from entitlements.service_layer import lifecycle
from entitlements.service_layer.care_unit_of_work import SqlCareUnitOfWork
from entitlements.service_layer.lifecycle import release_lapsed_reservations

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"
PLAN_ID = uuid.UUID("0193a5e0-0000-7000-8000-0000000091a1")
SERVICE_ID = uuid.UUID("0193a5e0-0000-7000-8000-000000005e41")
MARIA = uuid.UUID("0193a5e0-0000-7000-8000-00000000a1a1")
ION = uuid.UUID("0193a5e0-0000-7000-8000-00000000a1a2")
UPDATED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def package(clinic_id, sessions=4, version=1) -> PlanUpsertedV1:
    return PlanUpsertedV1(
        clinic_id=clinic_id, plan_id=PLAN_ID, name=f"{sessions} physiotherapy sessions", description="",
        kind="session_package", price=Money(amount_minor=60000, currency="RON"), sessions=sessions,
        session_validity={"count": 6, "unit": "month"}, period=None, access_window=None,
        service_ids=[SERVICE_ID], access_grants=[], products=[], version=version, archived=False,
        updated_at=UPDATED)


@pytest.fixture
def enrollment(client, clinic_id, admin_id, deliver, record_patient) -> dict:
    """Maria bought a 4-session physiotherapy package."""
    record_patient(MARIA)
    deliver(package(clinic_id))
    response = client.post(f"/clinics/{clinic_id}/enrollments", json={"patient_id": str(MARIA),
                                                                      "plan_id": str(PLAN_ID)},
                           headers={"X-Actor-Id": str(admin_id)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def reserve(client, clinic_id, enrollment_id, appointment_id, patient_id=MARIA, **extra):
    return client.post(f"/clinics/{clinic_id}/enrollments/{enrollment_id}/reservations",
                       json={"appointment_id": str(appointment_id), "patient_id": str(patient_id), **extra})


def counts(client, clinic_id, enrollment_id) -> tuple[int, int, int]:
    body = client.get(f"/clinics/{clinic_id}/enrollments/{enrollment_id}").get_json()
    return body["sessions_reserved"], body["sessions_used"], body["sessions_remaining"]


def appointment(clinic_id, appointment_id, enrollment_id, status="paid", rescheduled_from=None, original=None):
    """`original`: the first appointment of its reschedule chain (None: as booked, or an event from
    before scheduling named it)."""
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    return AppointmentSnapshot(
        appointment_id=appointment_id, clinic_id=clinic_id, patient_id=MARIA, provider_id=uuid7(),
        service_id=SERVICE_ID, calendar_id=None, location_id=None, start=start, end=start + timedelta(minutes=50),
        timezone="Europe/Bucharest", status=status, price=Money(amount_minor=0, currency="RON"),
        enrollment_id=enrollment_id, rescheduled_from=rescheduled_from, version=2, original_appointment_id=original)


STAFF = Actor(kind="staff", account_id=None)
SYSTEM = Actor(kind="system", account_id=None)


def paid(clinic_id, appointment_id, enrollment_id, original=None) -> AppointmentPaidV1:
    return AppointmentPaidV1(clinic_id=clinic_id,
                             appointment=appointment(clinic_id, appointment_id, enrollment_id, original=original),
                             actor=SYSTEM, occurred_at=utcnow(), payment_id=None)


def confirmed(clinic_id, appointment_id, enrollment_id, original=None) -> AppointmentConfirmedV1:
    return AppointmentConfirmedV1(clinic_id=clinic_id,
                                  appointment=appointment(clinic_id, appointment_id, enrollment_id, original=original),
                                  actor=STAFF, occurred_at=utcnow(), payment_id=None, video=None)


def canceled(clinic_id, appointment_id, enrollment_id, original=None) -> AppointmentCanceledV1:
    return AppointmentCanceledV1(clinic_id=clinic_id,
                                 appointment=appointment(clinic_id, appointment_id, enrollment_id, "canceled",
                                                         original=original),
                                 actor=STAFF, occurred_at=utcnow(), reason="patient asked", was_paid=True,
                                 within_policy=True)


def expired(clinic_id, appointment_id, enrollment_id) -> AppointmentExpiredV1:
    return AppointmentExpiredV1(clinic_id=clinic_id,
                                appointment=appointment(clinic_id, appointment_id, enrollment_id, "expired"),
                                actor=SYSTEM, occurred_at=utcnow(), reason="hold_expired")


def status_of(client, clinic_id, appointment_id) -> str:
    return client.get(f"/clinics/{clinic_id}/reservations/{appointment_id}").get_json()["status"]


def test_catalogs_newest_plan_version_is_the_one_enrolled_in_whatever_the_order_of_arrival(client, clinic_id,
                                                                                           deliver, record_patient):
    record_patient(MARIA)
    deliver(package(clinic_id, sessions=8, version=2))
    deliver(package(clinic_id, sessions=4, version=1))

    enrolled = client.post(f"/clinics/{clinic_id}/enrollments", json={"patient_id": str(MARIA),
                                                                      "plan_id": str(PLAN_ID)})
    unknown = client.post(f"/clinics/{clinic_id}/enrollments", json={"patient_id": str(MARIA),
                                                                     "plan_id": str(uuid7())})

    assert enrolled.get_json()["sessions_granted"] == 8
    assert enrolled.get_json()["sessions_until"] is not None
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "plan_id"


def test_a_booking_reserves_a_session_and_asking_again_answers_the_same(client, clinic_id, enrollment):
    appointment_id = uuid7()
    first = reserve(client, clinic_id, enrollment["enrollment_id"], appointment_id)
    again = reserve(client, clinic_id, enrollment["enrollment_id"], appointment_id)

    assert first.status_code == 201
    body = first.get_json()
    assert body["status"] == "reserved" and body["appointment_id"] == str(appointment_id)
    assert body["enrollment_id"] == enrollment["enrollment_id"]
    assert datetime.fromisoformat(body["expires_at"]) > utcnow() + timedelta(minutes=25)
    assert again.status_code == 200 and again.get_json() == body
    assert counts(client, clinic_id, enrollment["enrollment_id"]) == (1, 0, 3)


def test_no_session_left_is_a_conflict_that_writes_nothing(client, clinic_id, enrollment, stored, problem_of):
    for _ in range(4):
        assert reserve(client, clinic_id, enrollment["enrollment_id"], uuid7()).status_code == 201

    refused = reserve(client, clinic_id, enrollment["enrollment_id"], uuid7())

    assert refused.status_code == 409
    assert problem_of(refused)["type"] == PROBLEMS + "no-sessions-left"
    assert stored.count("reservations") == 4
    assert counts(client, clinic_id, enrollment["enrollment_id"]) == (4, 0, 0)


def test_an_enrollment_is_usable_only_by_its_patient_for_its_services(client, clinic_id, enrollment, problem_of):
    other_patient = reserve(client, clinic_id, enrollment["enrollment_id"], uuid7(), patient_id=ION)
    other_service = reserve(client, clinic_id, enrollment["enrollment_id"], uuid7(), service_id=str(uuid7()))
    unknown = reserve(client, clinic_id, uuid7(), uuid7())

    assert other_patient.status_code == 409
    assert problem_of(other_patient)["type"] == PROBLEMS + "enrollment-not-usable"
    assert problem_of(other_patient)["reason"] == "other_patient"
    assert problem_of(other_service)["reason"] == "other_service"
    assert unknown.status_code == 404
    assert counts(client, clinic_id, enrollment["enrollment_id"]) == (0, 0, 4)


def test_a_cancelled_enrollment_takes_no_more_bookings(client, clinic_id, enrollment, admin_id, stored, problem_of):
    cancel = client.post(f"/clinics/{clinic_id}/enrollments/{enrollment['enrollment_id']}/cancel",
                         headers={"X-Actor-Id": str(admin_id)})

    refused = reserve(client, clinic_id, enrollment["enrollment_id"], uuid7())

    assert cancel.status_code == 200 and cancel.get_json()["status"] == "canceled"
    assert problem_of(refused)["reason"] == "ended"
    assert [e["action"] for e in stored.audit()] == ["enrollment.created", "enrollment.canceled"]
    assert stored.audit()[1]["actor_id"] == admin_id


def test_payment_commits_the_session_and_cancellation_gives_it_back(client, clinic_id, enrollment, deliver, stored):
    appointment_id = uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)

    deliver(confirmed(clinic_id, appointment_id, enrollment_id))
    assert counts(client, clinic_id, enrollment_id) == (0, 1, 3)
    assert client.get(f"/clinics/{clinic_id}/reservations/{appointment_id}").get_json()["status"] == "committed"

    deliver(canceled(clinic_id, appointment_id, enrollment_id))
    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)
    assert stored.event_types()[-2:] == [ReservationCommittedV1.event_type, ReservationReleasedV1.event_type]
    assert json.loads(stored.outbox()[-1]["body"])["data"]["reason"] == "appointment_canceled"


def test_an_abandoned_hold_releases_its_reservation(client, clinic_id, enrollment, deliver):
    appointment_id = uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)

    deliver(AppointmentExpiredV1(clinic_id=clinic_id,
                                 appointment=appointment(clinic_id, appointment_id, enrollment_id, "expired"),
                                 actor=Actor(kind="system", account_id=None), occurred_at=utcnow(),
                                 reason="hold_expired"))

    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)
    assert client.get(f"/clinics/{clinic_id}/reservations/{appointment_id}").get_json()["status"] == "released"


def test_a_rescheduled_appointment_keeps_its_session(client, clinic_id, enrollment, deliver):
    """Events from before scheduling named the first appointment of a reschedule chain: the
    reservation moves along the chain."""
    old, new = uuid7(), uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, old)
    deliver(confirmed(clinic_id, old, enrollment_id))

    deliver(AppointmentRescheduledV1(
        clinic_id=clinic_id, appointment=appointment(clinic_id, new, enrollment_id, rescheduled_from=old),
        actor=STAFF, occurred_at=utcnow(), previous_start=UPDATED, previous_end=UPDATED, video=None))
    assert client.get(f"/clinics/{clinic_id}/reservations/{new}").get_json()["status"] == "committed"
    assert client.get(f"/clinics/{clinic_id}/reservations/{old}").status_code == 404
    assert counts(client, clinic_id, enrollment_id) == (0, 1, 3)

    deliver(canceled(clinic_id, new, enrollment_id))
    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)


def rescheduled(clinic_id, old, new, enrollment_id, original=None) -> AppointmentRescheduledV1:
    return AppointmentRescheduledV1(
        clinic_id=clinic_id, appointment=appointment(clinic_id, new, enrollment_id, rescheduled_from=old,
                                                     original=original),
        actor=STAFF, occurred_at=utcnow(), previous_start=UPDATED, previous_end=UPDATED, video=None)


def test_a_cancellation_that_arrives_before_the_confirmation_is_final(client, clinic_id, enrollment, deliver):
    """Events come in any order (a handler that failed is redelivered later): a late `confirmed`
    takes no session for an appointment already canceled."""
    appointment_id = uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)

    deliver(canceled(clinic_id, appointment_id, enrollment_id))
    deliver(confirmed(clinic_id, appointment_id, enrollment_id))

    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)
    assert client.get(f"/clinics/{clinic_id}/reservations/{appointment_id}").get_json()["status"] == "released"


def test_a_cancellation_of_the_new_appointment_that_arrives_before_the_reschedule_gives_the_session_back(
        client, clinic_id, enrollment, deliver):
    old, new = uuid7(), uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, old)
    deliver(confirmed(clinic_id, old, enrollment_id))

    deliver(canceled(clinic_id, new, enrollment_id))
    deliver(rescheduled(clinic_id, old, new, enrollment_id))
    deliver(confirmed(clinic_id, new, enrollment_id))

    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)


def test_a_cancellation_after_an_expiry_is_kept_so_a_late_confirmation_takes_nothing(client, clinic_id, enrollment,
                                                                                     deliver):
    """Expired, paid late (the slot taken again), then canceled: the events of the payment's
    confirmation may come last."""
    appointment_id = uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)
    deliver(AppointmentExpiredV1(clinic_id=clinic_id, appointment=appointment(clinic_id, appointment_id, enrollment_id,
                                                                              "expired"),
                                 actor=Actor(kind="system", account_id=None), occurred_at=utcnow(),
                                 reason="hold_expired"))

    deliver(canceled(clinic_id, appointment_id, enrollment_id))
    deliver(confirmed(clinic_id, appointment_id, enrollment_id))

    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)


def test_the_gateway_undoes_a_reservation_whose_hold_failed(client, clinic_id, enrollment):
    appointment_id = uuid7()
    reserve(client, clinic_id, enrollment["enrollment_id"], appointment_id)

    undone = client.post(f"/clinics/{clinic_id}/reservations/{appointment_id}/release")
    again = client.post(f"/clinics/{clinic_id}/reservations/{appointment_id}/release")
    unknown = client.post(f"/clinics/{clinic_id}/reservations/{uuid7()}/release")

    assert undone.status_code == 200 and undone.get_json()["status"] == "released"
    assert again.status_code == 200
    assert unknown.status_code == 404
    assert counts(client, clinic_id, enrollment["enrollment_id"]) == (0, 0, 4)


def test_booking_again_after_an_undo_takes_a_session_again(client, clinic_id, enrollment, problem_of):
    appointment_id, enrollment_id = uuid7(), enrollment["enrollment_id"]
    first = reserve(client, clinic_id, enrollment_id, appointment_id).get_json()
    client.post(f"/clinics/{clinic_id}/reservations/{appointment_id}/release")

    again = reserve(client, clinic_id, enrollment_id, appointment_id)

    assert again.status_code == 201
    body = again.get_json()
    assert body["status"] == "reserved" and body["expires_at"] > first["expires_at"]
    assert counts(client, clinic_id, enrollment_id) == (1, 0, 3)
    client.post(f"/clinics/{clinic_id}/reservations/{appointment_id}/release")
    for _ in range(4):
        reserve(client, clinic_id, enrollment_id, uuid7())
    refused = reserve(client, clinic_id, enrollment_id, appointment_id)
    assert refused.status_code == 409 and problem_of(refused)["type"] == PROBLEMS + "no-sessions-left"
    assert client.get(f"/clinics/{clinic_id}/reservations/{appointment_id}").get_json()["status"] == "released"


def test_a_payment_after_the_lapse_takes_no_session_of_a_cancelled_enrollment(client, clinic_id, enrollment,
                                                                             sessions, deliver, stored):
    appointment_id, enrollment_id = uuid7(), uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)
    release_lapsed_reservations(sessions, utcnow() + timedelta(minutes=31))
    client.post(f"/clinics/{clinic_id}/enrollments/{enrollment_id}/cancel")

    deliver(confirmed(clinic_id, appointment_id, enrollment_id))

    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)
    assert stored.event_types()[-1] == "entitlements.reservation.shortfall.v1"


def test_a_paid_reservation_is_not_undone(client, clinic_id, enrollment, deliver, problem_of):
    appointment_id = uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)
    deliver(confirmed(clinic_id, appointment_id, enrollment_id))

    refused = client.post(f"/clinics/{clinic_id}/reservations/{appointment_id}/release")

    assert refused.status_code == 409 and problem_of(refused)["type"] == PROBLEMS + "reservation-committed"
    assert counts(client, clinic_id, enrollment_id) == (0, 1, 3)


def test_the_worker_releases_reservations_nobody_committed_in_time(client, clinic_id, enrollment, sessions, deliver):
    lapsed, paid = uuid7(), uuid7()
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, lapsed)
    reserve(client, clinic_id, enrollment_id, paid)
    deliver(confirmed(clinic_id, paid, enrollment_id))

    assert release_lapsed_reservations(sessions, utcnow()) == 0
    assert release_lapsed_reservations(sessions, utcnow() + timedelta(minutes=31)) == 1
    assert release_lapsed_reservations(sessions, utcnow() + timedelta(minutes=31)) == 0
    assert counts(client, clinic_id, enrollment_id) == (0, 1, 3)


def test_a_reservation_whose_release_fails_holds_back_none_of_the_others(client, clinic_id, enrollment, sessions,
                                                                        monkeypatch, stored):
    enrollment_id = uuid.UUID(enrollment["enrollment_id"])
    appointments = [uuid7() for _ in range(4)]
    for appointment_id in appointments:
        reserve(client, clinic_id, enrollment_id, appointment_id)
    release = lifecycle.enrollments.release_lapsed

    def failing_on_the_first(uow, held, now):
        if held.appointment_id == appointments[0]:
            raise RuntimeError("a row the worker cannot handle")
        return release(uow, held, now)

    monkeypatch.setattr(lifecycle.enrollments, "release_lapsed", failing_on_the_first)
    monkeypatch.setattr(lifecycle, "BATCH", 2)  # the others come in later batches of the same run

    assert release_lapsed_reservations(sessions, utcnow() + timedelta(minutes=31)) == 3

    statuses = [client.get(f"/clinics/{clinic_id}/reservations/{a}").get_json()["status"] for a in appointments]
    assert statuses == ["reserved", "released", "released", "released"]
    assert counts(client, clinic_id, enrollment_id) == (1, 0, 3)
    assert stored.event_types().count(ReservationReleasedV1.event_type) == 3


def test_a_patient_record_from_scheduling_leads_to_their_care_by_login(client, clinic_id, enrollment, deliver):
    account_id = uuid7()
    deliver(PatientUpsertedV1(clinic_id=clinic_id, patient_id=MARIA, account_id=account_id, name="Maria Pop",
                              email="maria@example.com", mobile=None, sms_consent=None, version=2, archived=False,
                              updated_at=UPDATED))

    care = client.get(f"/clinics/{clinic_id}/patients/by-account/{account_id}/care")

    assert care.status_code == 200
    body = care.get_json()
    assert body["patient_id"] == str(MARIA) and body["tier"] is None
    assert [e["enrollment_id"] for e in body["enrollments"]] == [enrollment["enrollment_id"]]
    assert client.get(f"/clinics/{clinic_id}/patients/by-account/{uuid7()}/care").status_code == 404


def test_fifty_bookings_racing_for_four_sessions_get_exactly_four(app, client, clinic_id, enrollment, stored,
                                                                  problem_of):
    racers = 50
    start = threading.Barrier(racers)
    answers: list = []

    def book() -> None:
        racer = app.test_client()
        start.wait()
        answers.append(reserve(racer, clinic_id, enrollment["enrollment_id"], uuid7()))

    threads = [threading.Thread(target=book) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 4 + [409] * (racers - 4)
    assert {problem_of(a)["type"] for a in answers if a.status_code == 409} == {PROBLEMS + "no-sessions-left"}
    assert stored.count("reservations") == 4
    assert counts(client, clinic_id, enrollment["enrollment_id"]) == (4, 0, 0)


# -- a visit's payment, expiry and moves, in any order -------------------------------------------


def enrol(client, clinic_id) -> uuid.UUID:
    """Another 4-session package of Maria's (the plan and Maria are known already)."""
    response = client.post(f"/clinics/{clinic_id}/enrollments", json={"patient_id": str(MARIA),
                                                                      "plan_id": str(PLAN_ID)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return uuid.UUID(response.get_json()["enrollment_id"])


@pytest.mark.parametrize("undone_first", [True, False], ids=["undone", "still-reserved"])
def test_a_paid_appointment_naming_no_enrollment_takes_no_session_of_a_reservation_made_under_its_id(
        client, clinic_id, enrollment, deliver, stored, undone_first):
    """A plan booking refused (409) undoes its reservation, or the gateway did not hear back and
    kept it; the same Idempotency-Key, hence the same appointment id, then books another slot
    without the plan, and it is paid with money."""
    appointment_id, enrollment_id = uuid7(), uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)
    if undone_first:
        client.post(f"/clinics/{clinic_id}/reservations/{appointment_id}/release")

    deliver(paid(clinic_id, appointment_id, None))
    deliver(confirmed(clinic_id, appointment_id, None))

    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)
    assert status_of(client, clinic_id, appointment_id) == "released"
    assert ReservationCommittedV1.event_type not in stored.event_types()
    assert json.loads(stored.outbox()[-1]["body"])["data"]["reason"] == "undone"


def test_a_paid_appointment_uses_a_session_of_the_enrollment_it_names_not_of_the_one_reserved(
        client, clinic_id, enrollment, deliver):
    reserved_on, named = uuid.UUID(enrollment["enrollment_id"]), enrol(client, clinic_id)
    appointment_id = uuid7()
    reserve(client, clinic_id, reserved_on, appointment_id)

    deliver(paid(clinic_id, appointment_id, named))

    assert counts(client, clinic_id, reserved_on) == (0, 0, 4)
    assert counts(client, clinic_id, named) == (0, 1, 3)
    body = client.get(f"/clinics/{clinic_id}/reservations/{appointment_id}").get_json()
    assert (body["status"], body["enrollment_id"]) == ("committed", str(named))


def test_an_expiry_applied_after_the_payment_leaves_the_used_session_alone(client, clinic_id, enrollment, deliver):
    """The hold expired and was paid late (held again): scheduling published `expired` then
    `paid`; another consumer lane, or a redelivery, applies them the other way round."""
    appointment_id, enrollment_id = uuid7(), uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)

    deliver(paid(clinic_id, appointment_id, enrollment_id))
    deliver(expired(clinic_id, appointment_id, enrollment_id))

    assert counts(client, clinic_id, enrollment_id) == (0, 1, 3)
    assert status_of(client, clinic_id, appointment_id) == "committed"


def test_the_worker_leaves_a_reservation_paid_after_it_found_it_due(client, clinic_id, enrollment, sessions,
                                                                   deliver):
    appointment_id, enrollment_id = uuid7(), uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, appointment_id)
    lapse = utcnow() + timedelta(minutes=31)
    with transaction(sessions) as session:
        [due] = SqlCareUnitOfWork(session).reservations.due(lapse, 10)

    deliver(paid(clinic_id, appointment_id, enrollment_id))  # between the worker's read and its release
    with transaction(sessions) as session:
        assert cases.release_lapsed(SqlCareUnitOfWork(session), due, lapse) is False

    assert counts(client, clinic_id, enrollment_id) == (0, 1, 3)


def test_a_paid_visit_keeps_its_session_while_its_video_meeting_waits(client, clinic_id, enrollment, sessions,
                                                                      deliver, stored, problem_of):
    """`paid` commits at once; `confirmed` comes once the meeting exists, which may be long after
    the reservation's 30 minutes when the video provider is down, and changes nothing."""
    appointment_id, enrollment_id = uuid7(), uuid.UUID(enrollment["enrollment_id"])
    for _ in range(3):
        reserve(client, clinic_id, enrollment_id, uuid7())
    reserve(client, clinic_id, enrollment_id, appointment_id)
    deliver(paid(clinic_id, appointment_id, enrollment_id))

    assert release_lapsed_reservations(sessions, utcnow() + timedelta(minutes=31)) == 3
    for _ in range(3):
        reserve(client, clinic_id, enrollment_id, uuid7())
    refused = reserve(client, clinic_id, enrollment_id, uuid7())
    deliver(confirmed(clinic_id, appointment_id, enrollment_id))

    assert problem_of(refused)["type"] == PROBLEMS + "no-sessions-left"
    assert counts(client, clinic_id, enrollment_id) == (3, 1, 0)
    assert status_of(client, clinic_id, appointment_id) == "committed"
    assert stored.event_types().count(ReservationCommittedV1.event_type) == 1


def chain_events(clinic_id, enrollment_id, a, b, c, ending):
    """A visit booked as `a`, paid, confirmed, moved to `b` and then to `c`, and `ending` there."""
    events = {
        "paid(a)": paid(clinic_id, a, enrollment_id),
        "confirmed(a)": confirmed(clinic_id, a, enrollment_id),
        "rescheduled(a->b)": rescheduled(clinic_id, a, b, enrollment_id, original=a),
        "rescheduled(b->c)": rescheduled(clinic_id, b, c, enrollment_id, original=a),
    }
    if ending == "canceled":
        events["canceled(c)"] = canceled(clinic_id, c, enrollment_id, original=a)
    return events


@pytest.mark.parametrize(("ending", "expected"), [("canceled", (0, 0, 4)), ("kept", (0, 1, 3))])
def test_every_order_of_a_rescheduled_visits_events_leaves_its_session_as_the_visit_ended(
        client, clinic_id, enrollment, deliver, ending, expected):
    """Consumers apply batches in parallel lanes and dead letters are replayed later: the events
    of one reschedule chain may arrive in any order."""
    names = list(chain_events(clinic_id, None, *[uuid7()] * 3, ending))
    wrong = []
    for order in itertools.permutations(names):
        enrollment_id, (a, b, c) = enrol(client, clinic_id), (uuid7(), uuid7(), uuid7())
        reserve(client, clinic_id, enrollment_id, a)
        events = chain_events(clinic_id, enrollment_id, a, b, c, ending)
        for name in order:
            deliver(events[name])
        if counts(client, clinic_id, enrollment_id) != expected:
            wrong.append((order, counts(client, clinic_id, enrollment_id)))

    assert wrong == []


def test_a_payment_racing_a_reschedule_of_the_visit_uses_its_session(client, clinic_id, enrollment, sessions,
                                                                     deliver, monkeypatch):
    """`confirmed(a)` and `rescheduled(a->b)` applied side by side by two consumer lanes: the move
    lands while the payment is between reading the reservation and committing it."""
    a, b, enrollment_id = uuid7(), uuid7(), uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, a)
    the_move = threading.Thread(target=deliver, args=(rescheduled(clinic_id, a, b, enrollment_id, original=a),))
    settle = care.SqlReservations.settle

    def settle_after_the_move(self, reservation, *args, **kwargs):
        if the_move.ident is None:  # the first settle: the payment's
            the_move.start()
            the_move.join(2)  # SQLite runs one writer at a time: then the move waits for this one
        return settle(self, reservation, *args, **kwargs)

    monkeypatch.setattr(care.SqlReservations, "settle", settle_after_the_move)
    deliver(confirmed(clinic_id, a, enrollment_id))
    the_move.join(30)
    release_lapsed_reservations(sessions, utcnow() + timedelta(minutes=31))  # no event of b's commits

    assert counts(client, clinic_id, enrollment_id) == (0, 1, 3)


def test_a_cancellation_racing_the_payment_gives_the_session_back(client, clinic_id, enrollment, sessions, deliver,
                                                                 monkeypatch):
    """`canceled(a)` applied by one lane while another is committing `paid(a)`: whichever goes
    first, the cancellation decides on the reservation as the payment left it."""
    a, enrollment_id = uuid7(), uuid.UUID(enrollment["enrollment_id"])
    reserve(client, clinic_id, enrollment_id, a)
    the_cancel = threading.Thread(target=deliver, args=(canceled(clinic_id, a, enrollment_id),))
    commit_session = care.SqlEnrollments.commit_session

    def commit_while_canceled(self, *args):
        the_cancel.start()
        the_cancel.join(2)  # it waits for this payment's transaction, on either database
        return commit_session(self, *args)

    monkeypatch.setattr(care.SqlEnrollments, "commit_session", commit_while_canceled)
    deliver(paid(clinic_id, a, enrollment_id))
    the_cancel.join(30)

    assert counts(client, clinic_id, enrollment_id) == (0, 0, 4)
    assert status_of(client, clinic_id, a) == "released"
