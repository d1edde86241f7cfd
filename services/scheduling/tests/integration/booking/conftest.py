"""A clinic ready to book: Ana (and Dan) deliver the 50-minute service (5 minutes' prep, 10 of
wrap time), available on Mondays 09:00-12:00 Bucharest time; helpers to book through the API
and read what scheduling published."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from clinic_contracts import Envelope
from clinic_contracts.events import billing
from clinic_runtime.db import transaction
from clinic_runtime.messaging.consumers import apply_delivered
from clinic_runtime.messaging.tables import outbox
from scheduling.adapters.orm import appointments
from scheduling.adapters.video import SandboxMeetings
from scheduling.entrypoints.consumers import handlers
from scheduling.service_layer.appointments import expire_overdue_holds
from scheduling.service_layer.meetings import run_meeting_work
from scheduling.service_layer.unit_of_work import SqlUnitOfWork

from ..conftest import next_monday, problem  # noqa: F401 - the booking tests import them from here

CLINIC = "0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60"
ANA = "0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01"
DAN = "0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e02"
SERVICE = "0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01"
BUCHAREST = ZoneInfo("Europe/Bucharest")
MORNINGS = {"timezone": "Europe/Bucharest", "rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
            "blackout_dates": []}
PATIENT = {"name": "Maria Ionescu", "email": "maria.ionescu@example.ro", "mobile": "+40712345678"}
CONSENT = {"given": True, "text_version": "sms-2026-01"}


def at(day: date, wall_clock: str, zone: ZoneInfo = BUCHAREST) -> datetime:
    return datetime.combine(day, time.fromisoformat(wall_clock), zone)


@pytest.fixture
def clinic(deliver, clinic_upserted, sessions) -> None:
    apply_delivered(handlers, sessions, clinic_upserted(1))


@pytest.fixture
def specialists(client, clinic, deliver, provider_event, service_event) -> None:
    """Ana and Dan, both available on Monday mornings, both delivering the service."""
    deliver(provider_event(1))
    deliver(provider_event(1, provider_id=uuid.UUID(DAN), name="Dr. Dan Pop"))
    deliver(service_event(1, provider_ids=[uuid.UUID(ANA), uuid.UUID(DAN)]))
    for provider in (ANA, DAN):
        availability = f"/clinics/{CLINIC}/providers/{provider}/availability"
        version = client.get(availability).headers["ETag"]
        assert client.put(availability, json=MORNINGS, headers={"If-Match": version}).status_code == 200


@pytest.fixture
def book(client, specialists) -> Callable:
    def post(start: datetime, *, key: str | None = None, **fields):
        body = {"service_id": SERVICE, "start": start.isoformat(), "patient": PATIENT, "sms_consent": CONSENT,
                "actor": {"kind": "patient", "account_id": None}, **fields}
        return client.post(f"/clinics/{CLINIC}/appointments", json=body,
                           headers={"Idempotency-Key": key} if key else {})

    return post


@pytest.fixture
def published(sessions) -> Callable[[str], list[dict]]:
    """The data of the events of `event_type` in the outbox, oldest first."""

    def events(event_type: str) -> list[dict]:
        with sessions() as session:
            bodies = session.execute(sa.select(outbox.c.body).where(
                outbox.c.event_type == event_type).order_by(outbox.c.position)).scalars()
            return [Envelope.model_validate_json(body).data for body in bodies]

    return events


@pytest.fixture
def pay(sessions) -> Callable:
    """Deliver billing's outcome of a payment for an appointment; the payment's id."""

    def deliver(appointment_id: str, *, succeeded: bool = True, payment_id: uuid.UUID | None = None,
                amount: dict | None = None, clinic_id: uuid.UUID = uuid.UUID(CLINIC)) -> uuid.UUID:
        payment_id = payment_id or uuid.uuid4()
        fields = {"clinic_id": clinic_id, "payment_id": payment_id, "appointment_id": uuid.UUID(appointment_id),
                  "amount": amount or {"amount_minor": 20000, "currency": "RON"}, "processor": "sandbox",
                  "processor_payment_id": f"sbx_{payment_id.hex[:12]}"}
        event = (billing.PaymentSucceededV1(**fields, succeeded_at=datetime.now(UTC)) if succeeded else
                 billing.PaymentFailedV1(**fields, failure_code="card_declined",
                                         failure_message="The card was declined.", failed_at=datetime.now(UTC)))
        apply_delivered(handlers, sessions, Envelope.wrap(event, clinic_id=event.clinic_id, correlation_id="corr-pay"))
        return payment_id

    return deliver


@pytest.fixture
def overdue(sessions) -> Callable[[str], None]:
    """Move an appointment's hold expiry into the past, as if its 15 minutes were over."""

    def past(appointment_id: str) -> None:
        with sessions.begin() as session:
            session.execute(sa.update(appointments).where(
                appointments.c.appointment_id == uuid.UUID(appointment_id),
            ).values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    return past


@pytest.fixture
def sweep(sessions) -> Callable[[], int]:
    """Run the worker's expiry of overdue holds once; how many it expired."""

    def run() -> int:
        with transaction(sessions) as session:
            return expire_overdue_holds(SqlUnitOfWork(session), datetime.now(UTC))

    return run


@pytest.fixture
def meetings(sessions) -> Callable:
    """Run the meetings job once with `video` (the sandbox by default); how much it did."""

    @contextmanager
    def unit() -> Iterator[SqlUnitOfWork]:
        with transaction(sessions) as session:
            yield SqlUnitOfWork(session)

    def run(video=None) -> int:
        return run_meeting_work(unit, video or SandboxMeetings("https://video.test"), lambda: datetime.now(UTC))

    run.unit = unit
    return run
