"""Scheduling through the gateway, on the access tests' platform plus scheduling's real web app
(served in a thread on its own PostgreSQL database).

    scheduling        scheduling's app, served; `scheduling.sync()` applies catalog's events
                      published so far with scheduling's own consumers, as its worker would
                      after the broker delivered them; `scheduling.sync_entitlements()` does the
                      same for entitlements' consumers of catalog's and scheduling's events;
                      `scheduling.paid(clinic_id, appointment_id)` pays an appointment (billing's
                      payment.succeeded.v1 delivered to scheduling's consumer) and runs the
                      meetings job with the sandbox video provider: it is confirmed with its
                      meeting (join and host links);
    gateway           a gateway web process of the platform pointed at that scheduling;
    booking_clinic()  a fresh clinic (platform.clinic()) that takes bookings: two specialists in
                      catalog whose emails are the clinic's specialist accounts' (sam, sofia),
                      a 30-minute service both deliver, and availability 09:00-12:00 on
                      weekdays in Europe/Bucharest; `day` is a Monday four weeks ahead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from clinic_contracts import Envelope
from clinic_contracts.events import billing
from clinic_runtime.db import transaction
from clinic_runtime.messaging.consumers import apply_delivered
from clinic_runtime.messaging.tables import outbox
from clinic_runtime.migrations import upgrade

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"
ZONE = "Europe/Bucharest"
PRICE = {"amount_minor": 20000, "currency": "RON"}
CONSENT = {"given": True, "text_version": "sms-v1"}
WEEKDAYS = [{"weekday": day, "start": "09:00", "end": "12:00"} for day in range(1, 6)]


class Relay:
    """Delivers the events one app's outbox holds to another app's consumers, each once, as the
    broker and the consumer's worker would."""

    def __init__(self, source: Any, target: Any, handlers: Any) -> None:
        self._source = source
        self._target = target
        self._handlers = handlers
        self._delivered = 0

    def __call__(self) -> None:
        with self._source.app.extensions["sessions"]() as session:
            rows = session.execute(sa.select(outbox.c.position, outbox.c.body)
                                   .where(outbox.c.position > self._delivered).order_by(outbox.c.position)).all()
        for position, body in rows:
            envelope = Envelope.model_validate_json(body)
            if envelope.type in self._handlers.event_types:
                apply_delivered(self._handlers, self._target.app.extensions["sessions"], envelope)
            self._delivered = position


class Scheduling:
    def __init__(self, served: Any, platform: Any) -> None:
        from entitlements.entrypoints.consumers import handlers as entitlements_handlers
        from scheduling.entrypoints.consumers import handlers

        self.served = served
        self.url = served.url
        self._from_catalog = Relay(platform.catalog, served, handlers)
        self._to_entitlements = [Relay(platform.catalog, platform.entitlements, entitlements_handlers),
                                 Relay(served, platform.entitlements, entitlements_handlers)]

    def sync(self) -> None:
        """Scheduling's read model of catalog catches up."""
        self._from_catalog()

    def sync_entitlements(self) -> None:
        """Entitlements' read models of catalog's plans and scheduling's patients and
        appointments catch up."""
        for relay in self._to_entitlements:
            relay()

    def paid(self, clinic_id: uuid.UUID, appointment_id: str) -> None:
        """Billing's payment of the appointment's price arrives, and the meetings job makes its
        meeting (as scheduling's worker would, until no work is left)."""
        from scheduling.adapters.video import SandboxMeetings
        from scheduling.entrypoints.consumers import handlers
        from scheduling.service_layer.meetings import run_meeting_work
        from scheduling.service_layer.unit_of_work import SqlUnitOfWork

        sessions = self.served.app.extensions["sessions"]
        payment_id = uuid.uuid4()
        event = billing.PaymentSucceededV1(
            clinic_id=clinic_id, payment_id=payment_id, appointment_id=uuid.UUID(appointment_id), amount=PRICE,
            processor="sandbox", processor_payment_id=f"sbx_{payment_id.hex[:12]}", succeeded_at=datetime.now(UTC))
        apply_delivered(handlers, sessions, Envelope.wrap(event, clinic_id=clinic_id, correlation_id="corr-pay"))

        @contextmanager
        def unit() -> Iterator[SqlUnitOfWork]:
            with transaction(sessions) as session:
                yield SqlUnitOfWork(session)

        while run_meeting_work(unit, SandboxMeetings("https://video.test"), lambda: datetime.now(UTC)):
            pass


@pytest.fixture(scope="session")
def scheduling(platform, fresh_databases) -> Iterator[Scheduling]:
    from scheduling.entrypoints.migrate import MIGRATIONS
    from scheduling.entrypoints.web import create_app

    served_like_catalog = type(platform.catalog)
    with fresh_databases("scheduling") as (url,):
        upgrade(MIGRATIONS, url)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", url)
            patch.setenv("AMQP_URL", UNREACHABLE_BROKER)
            patch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
            served = served_like_catalog(create_app())
        try:
            yield Scheduling(served, platform)
        finally:
            served.stop()


@pytest.fixture(scope="session")
def gateway(platform, scheduling: Scheduling) -> FlaskClient:
    return platform.another_gateway(scheduling_url=scheduling.url)


@dataclass
class BookingClinic:
    clinic: Any  # the platform's Clinic
    gateway: FlaskClient
    service: dict[str, Any]
    sam: dict[str, Any]  # catalog's provider of the specialist account clinic.specialist
    sofia: dict[str, Any]  # of clinic.other_specialist
    day: date

    @property
    def slug(self) -> str:
        return self.clinic.slug

    @property
    def admin_path(self) -> str:
        return self.clinic.admin_path

    def at(self, clock: str, day: date | None = None) -> str:
        """An instant of `day` (the clinic's Monday) at the wall-clock time `clock` in Bucharest."""
        hours, minutes = map(int, clock.split(":"))
        moment = datetime.combine(day or self.day, datetime.min.time(), ZoneInfo(ZONE))
        return moment.replace(hour=hours, minute=minutes).isoformat()

    def booking(self, start: str, provider: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        body = {"service_id": self.service["id"], "start": start,
                "patient": {"name": "Ioana Pop", "email": "ioana.pop@example.com", "mobile": "+40722123456"},
                "sms_consent": CONSENT, **changes}
        if provider is not None:
            body["provider_id"] = provider["id"]
        return body

    def book(self, body: dict[str, Any], *, key: str | None = None, member: Any = None):
        headers = dict(member.headers) if member else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.gateway.post(f"/v1/clinics/{self.slug}/bookings", json=body, headers=headers)

    def call(self, method: str, path: str, member: Any, *, expect: int = 200, **keywords: Any) -> Any:
        response = self.gateway.open(self.admin_path + path, method=method,
                                     headers={**member.headers, **keywords.pop("headers", {})}, **keywords)
        assert response.status_code == expect, f"{method} {path}: {response.get_data(as_text=True)}"
        return response.get_json()


@pytest.fixture
def booking_clinic(platform, scheduling: Scheduling, gateway: FlaskClient) -> Callable[[], BookingClinic]:
    def build() -> BookingClinic:
        clinic = platform.clinic("booking")

        def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
            return platform.call("POST", clinic.admin_path + path, clinic.admin, json=body, expect=201)

        sam = created("/providers", {"name": "Dr. Sam Ionescu", "email": clinic.specialist.email, "timezone": ZONE})
        sofia = created("/providers", {"name": "Dr. Sofia Radu", "email": clinic.other_specialist.email,
                                       "timezone": ZONE})
        service = created("/services", {"name": "Physiotherapy session", "duration_minutes": 30, "price": PRICE,
                                        "provider_ids": [sam["id"], sofia["id"]]})
        scheduling.sync()
        today = date.today()
        monday = today + timedelta(days=28 - today.weekday())
        world = BookingClinic(clinic, gateway, service, sam, sofia, monday)
        for provider in (sam, sofia):
            path = f"/providers/{provider['id']}/availability"
            etag = gateway.get(clinic.admin_path + path, headers=clinic.admin.headers).headers["ETag"]
            world.call("PUT", path, clinic.admin, headers={"If-Match": etag},
                       json={"timezone": ZONE, "rules": WEEKDAYS})
        return world

    return build


def new_key() -> str:
    return uuid.uuid4().hex
