"""A person is registered once, however many of their first bookings arrive at once: on
PostgreSQL the second waits for the first's transaction (an advisory lock on the account, or on
the email without one) and then books for the patient it registered; on SQLite one writer at a
time already orders them."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
import sqlalchemy as sa

from clinic_runtime.db import transaction
from scheduling.adapters.orm import patients
from scheduling.domain.appointments import Actor, Appointment
from scheduling.service_layer.appointments import Booking, book
from scheduling.service_layer.patients import PatientDetails
from scheduling.service_layer.unit_of_work import SqlUnitOfWork

from .conftest import ANA, CLINIC, PATIENT, SERVICE, at, next_monday

pytestmark = pytest.mark.integration
ACCOUNT = uuid.UUID("0190f3b0-0000-7000-8000-00000000bbbb")
HELD_OPEN = 0.3  # seconds a booking keeps its transaction open after booking: the other one runs meanwhile


def race(sessions, actor: Actor, starts: list[datetime]) -> list[Appointment]:
    """Book each start for the same person at once, each in its own transaction from its own
    thread, all released together; each commits only a moment after it booked."""
    barrier = Barrier(len(starts))

    def attempt(start: datetime) -> Appointment:
        barrier.wait()
        with transaction(sessions) as session:
            appointment = book(SqlUnitOfWork(session), Booking(
                clinic_id=uuid.UUID(CLINIC), service_id=uuid.UUID(SERVICE), start=start, actor=actor,
                provider_id=uuid.UUID(ANA), patient=PatientDetails(**PATIENT), sms_consent=(True, "sms-2026-01"),
            ), hold=timedelta(minutes=15), now=datetime.now(UTC))
            time.sleep(HELD_OPEN)
        return appointment

    with ThreadPoolExecutor(len(starts)) as pool:
        return list(pool.map(attempt, starts))


@pytest.mark.parametrize("actor", [Actor("patient", ACCOUNT), Actor("patient")], ids=["signed-in", "guest"])
def test_two_first_bookings_by_one_person_at_once_both_book_for_one_new_patient(sessions, specialists, actor):
    monday = next_monday()

    booked = race(sessions, actor, [at(monday, "09:00"), at(monday, "10:40")])

    assert len({appointment.appointment_id for appointment in booked}) == 2
    assert len({appointment.patient_id for appointment in booked}) == 1
    with sessions() as session:
        registered = session.execute(sa.select(patients.c.patient_id, patients.c.account_id, patients.c.email)).all()
    assert registered == [(booked[0].patient_id, actor.account_id, PATIENT["email"])]
