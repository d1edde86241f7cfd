"""No double booking, ever (issue 6): 200 patients ask the running platform's gateway for one
specialist's time at once, over real HTTP to gunicorn processes on PostgreSQL. Exactly one gets
the time (201), every other is told it is taken (409); and the same when they ask for different
slots that overlap (a service's buffer, another service's longer visit)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from .conftest import Caller, eventually, register_clinic

pytestmark = pytest.mark.e2e

REQUESTS = 200
ZONE = "Europe/Bucharest"
PRICE = {"amount_minor": 20000, "currency": "RON"}


@dataclass
class Clinic:
    slug: str
    admin: Caller
    provider: dict[str, Any]
    short: dict[str, Any]  # 30 minutes and a 30-minute buffer after: its 09:00 and 09:30 overlap
    long: dict[str, Any]  # 60 minutes
    day: date

    def at(self, clock: str) -> str:
        hours, minutes = map(int, clock.split(":"))
        return datetime(self.day.year, self.day.month, self.day.day, hours, minutes, tzinfo=ZoneInfo(ZONE)).isoformat()


@pytest.fixture(scope="module")
def clinic(platform) -> Clinic:
    """One specialist working 09:00-12:00 on weekdays, two services, scheduling caught up."""
    slug = f"race-{uuid.uuid4().hex[:8]}"
    clinic_id, admin = register_clinic(platform, slug, "Race Clinic", ZONE)
    base = f"/v1/admin/clinics/{slug}"

    def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return admin.call("POST", base + path, 201, json=body).json()

    provider = created("/providers", {"name": "Dr. Ana Popescu", "email": f"ana@{slug}.example", "timezone": ZONE})
    short = created("/services", {"name": "Check-up", "duration_minutes": 30, "buffer_after_minutes": 30,
                                  "price": PRICE, "provider_ids": [provider["id"]]})
    long = created("/services", {"name": "Assessment", "duration_minutes": 60, "price": PRICE,
                                 "provider_ids": [provider["id"]]})
    availability = f"{base}/providers/{provider['id']}/availability"
    assert eventually(lambda: requests.get(
        f"{platform.urls['scheduling']}/clinics/{clinic_id}/services/{long['id']}",
        timeout=5).status_code == 200, within=5.0)
    held = admin.call("GET", availability)
    admin.call("PUT", availability, headers={"If-Match": held.headers["ETag"]},
               json={"timezone": ZONE, "rules": [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(1, 6)]})
    today = date.today()
    return Clinic(slug, admin, provider, short, long, today + timedelta(days=28 - today.weekday()))


def storm(platform, clinic: Clinic, bodies: list[dict[str, Any]], key: str | None = None) -> list[requests.Response]:
    """Every body sent at the same moment, each on a connection of its own and with an
    Idempotency-Key of its own, or all with `key` when given."""
    url = f"{platform.urls['gateway']}/v1/clinics/{clinic.slug}/bookings"
    ready = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> requests.Response:
        ready.wait()
        return requests.post(url, json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex}, timeout=60)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def patient(n: int) -> dict[str, Any]:
    return {"name": f"Patient {n}", "email": f"patient{n}@example.com", "mobile": "+40722123456"}


def held_appointments(clinic: Clinic) -> list[dict[str, Any]]:
    day = clinic.day.isoformat()
    return clinic.admin.call("GET", f"/v1/admin/clinics/{clinic.slug}/appointments", params={
        "from": day, "to": day, "provider_id": clinic.provider["id"], "status": "pending_payment"}).json()[
        "appointments"]


def assert_one_won(responses: list[requests.Response]) -> dict[str, Any]:
    statuses = [r.status_code for r in responses]
    assert sorted(set(statuses)) == [201, 409], {s: statuses.count(s) for s in set(statuses)}
    assert statuses.count(201) == 1
    assert all(r.json()["type"].endswith("/slot-taken") for r in responses if r.status_code == 409)
    return next(r.json() for r in responses if r.status_code == 201)


def test_two_hundred_patients_ask_for_one_slot_at_once_and_exactly_one_gets_it(platform, clinic):
    bodies = [{"service_id": clinic.short["id"], "start": clinic.at("11:00"), "provider_id": clinic.provider["id"],
               "patient": patient(n), "sms_consent": {"given": True, "text_version": "sms-v1"}}
              for n in range(REQUESTS)]

    winner = assert_one_won(storm(platform, clinic, bodies))

    assert [a["appointment_id"] for a in held_appointments(clinic)] == [winner["booking_id"]]


def test_two_hundred_patients_ask_for_overlapping_slots_of_one_specialist_and_exactly_one_gets_any(platform,
                                                                                                   clinic):
    # 09:00-09:30 and 09:30-10:00 of the short service (each with 30 minutes' buffer after), and
    # 09:00-10:00 of the long one: every two of them overlap.
    choices = [(clinic.short, "09:00"), (clinic.short, "09:30"), (clinic.long, "09:00")]
    bodies = [{"service_id": service["id"], "start": clinic.at(clock), "patient": patient(1000 + n)}
              for n, (service, clock) in ((n, choices[n % 3]) for n in range(REQUESTS))]

    winner = assert_one_won(storm(platform, clinic, bodies))

    morning = [a for a in held_appointments(clinic)
               if datetime.fromisoformat(a["start"]) < datetime.fromisoformat(clinic.at("10:30"))]
    assert [a["appointment_id"] for a in morning] == [winner["booking_id"]]


def test_twenty_copies_of_one_request_racing_with_one_idempotency_key_make_one_booking(platform, clinic):
    clinic = replace(clinic, day=clinic.day + timedelta(days=1))  # a day no other test books
    body = {"service_id": clinic.long["id"], "start": clinic.at("10:00"), "patient": patient(5000)}

    responses = storm(platform, clinic, [body] * 20, key=uuid.uuid4().hex)

    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["booking_id"] for r in responses}) == 1
    assert [a["appointment_id"] for a in held_appointments(clinic)] == [responses[0].json()["booking_id"]]
