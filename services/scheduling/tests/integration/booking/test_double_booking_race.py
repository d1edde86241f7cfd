"""No double booking, ever: concurrent bookings of one specialist's time, on PostgreSQL (the
exclusion constraint) and SQLite (one writer at a time); exactly one wins, the rest get 409."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
import sqlalchemy as sa

from scheduling.adapters.appointments import SqlAppointments
from scheduling.domain.appointments import Actor, Appointment, SlotTaken
from scheduling.domain.offerings import Money
from scheduling.entrypoints.web import create_app

from .conftest import ANA, CLINIC, CONSENT, DAN, PATIENT, SERVICE, at, next_monday, problem

pytestmark = pytest.mark.integration
THREADS = 16


def race(scheduling_database, starts: list[datetime], **fields) -> list:
    """Book each start at once from its own thread, all released together."""
    app = create_app()
    barrier = Barrier(len(starts))

    def attempt(start: datetime):
        client = app.test_client()
        barrier.wait()
        return client.post(f"/clinics/{CLINIC}/appointments", json={
            "service_id": SERVICE, "start": start.isoformat(), "provider_id": ANA, "patient": PATIENT,
            "sms_consent": CONSENT, "actor": {"kind": "patient"}, **fields})

    try:
        with ThreadPoolExecutor(len(starts)) as pool:
            return list(pool.map(attempt, starts))
    finally:
        app.extensions["sessions"].kw["bind"].dispose()


def held(sessions) -> list[str]:
    with sessions() as session:
        return [row.start_at for row in session.execute(sa.text(
            "SELECT start_at FROM appointments WHERE status = 'pending_payment'"))]


def test_many_bookings_of_one_slot_at_once_one_wins_the_rest_are_409(scheduling_database, specialists, sessions):
    responses = race(scheduling_database, [at(next_monday(), "09:00")] * THREADS)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (THREADS - 1)
    assert all(problem(r)["type"].endswith("/slot-taken") for r in responses if r.status_code == 409)
    assert len(held(sessions)) == 1


def test_many_bookings_of_overlapping_slots_at_once_one_wins(scheduling_database, specialists, sessions):
    monday = next_monday()
    # 09:00 holds 08:55-10:00 with its buffers, 09:50 holds 09:45-10:50: they overlap.
    starts = [at(monday, "09:00"), at(monday, "09:50")] * (THREADS // 2)

    responses = race(scheduling_database, starts)

    assert sorted(response.status_code for response in responses) == [201] + [409] * (THREADS - 1)
    assert len(held(sessions)) == 1


def test_many_bookings_for_any_specialist_at_once_take_each_free_specialist_once(
        scheduling_database, specialists, sessions):
    responses = race(scheduling_database, [at(next_monday(), "09:00")] * THREADS, provider_id=None)

    winners = [response.get_json()["provider_id"] for response in responses if response.status_code == 201]
    assert sorted(winners) == sorted([ANA, DAN])
    assert sorted(r.status_code for r in responses) == [201, 201] + [409] * (THREADS - 2)
    assert len(held(sessions)) == 2


def test_one_booking_retried_at_once_with_its_appointment_id_books_once_for_one_patient(
        scheduling_database, specialists, sessions):
    chosen = "0190f3a9-0000-7000-8000-000000000003"

    responses = race(scheduling_database, [at(next_monday(), "09:00")] * 8, appointment_id=chosen)

    assert [response.status_code for response in responses] == [201] * 8
    assert {response.get_json()["appointment_id"] for response in responses} == {chosen}
    assert len(held(sessions)) == 1
    with sessions() as session:
        # The attempts that lost to their own first try registered nothing that stayed.
        assert session.execute(sa.text("SELECT count(*) FROM patients")).scalar_one() == 1


def test_the_database_itself_refuses_an_overlapping_appointment_the_code_did_not_check(sessions):
    now = datetime.now(UTC)
    first = Appointment(
        clinic_id=uuid.UUID(CLINIC), appointment_id=uuid.uuid4(), patient_id=uuid.uuid4(),
        provider_id=uuid.UUID(ANA), service_id=uuid.UUID(SERVICE), calendar_id=None,
        start=now + timedelta(days=3), end=now + timedelta(days=3, minutes=50), buffer_before=timedelta(minutes=5),
        buffer_after=timedelta(minutes=10), timezone="Europe/Bucharest", status="paid", price=Money(20000, "RON"),
        enrollment_id=None, hold_expires_at=None, booked_by=Actor("staff"), sms_consent=True, version=1,
        created_at=now, updated_at=now)
    with sessions.begin() as session:
        SqlAppointments(session).add(first)
    # Meets only through buffers: its end + 10 minutes' wrap reaches the other's prep time.
    second = replace(first, appointment_id=uuid.uuid4(), start=first.end + timedelta(minutes=14),
                     end=first.end + timedelta(minutes=64))
    canceled = replace(second, appointment_id=uuid.uuid4(), status="canceled")

    with sessions.begin() as session:
        with pytest.raises(SlotTaken):
            SqlAppointments(session).add(second)
        SqlAppointments(session).add(canceled)  # time-holding statuses only
        SqlAppointments(session).add(replace(second, appointment_id=uuid.uuid4(),
                                             start=first.end + timedelta(minutes=15),
                                             end=first.end + timedelta(minutes=65)))
