"""Scheduling serves its read model of specialists, services and calendars over HTTP, each within
its clinic (both backends)."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.integration

CLINIC = "0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60"
PROVIDER = "0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01"
SERVICE = "0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01"
CALENDAR = "0190f3a5-4e5f-7061-8293-4d5e6f7a8b01"


def assert_not_found(response, path: str) -> None:
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert (body["type"], body["instance"]) == ("https://problems.clinic-platform.dev/not-found", path)


def test_a_provider_is_served_without_contact_details(client, deliver, provider_event):
    deliver(provider_event(2))

    response = client.get(f"/clinics/{CLINIC}/providers/{PROVIDER}")

    assert response.status_code == 200
    assert response.get_json() == {
        "clinic_id": CLINIC, "provider_id": PROVIDER, "name": "Dr. Ana Popescu v2", "timezone": "Europe/Bucharest",
        "location_ids": ["0190f3a2-7d2f-7c5e-8b64-3f9e5d2e8b01"], "version": 2, "archived": False,
        "updated_at": "2026-03-14T09:02:00+00:00",
    }


def test_a_service_is_served_as_the_newest_event_said(client, deliver, service_event):
    deliver(service_event(3, refund_policy={"kind": "partial", "percent": 50, "text": "Half back."},
                          minimum_notice_minutes=120, booking_horizon_days=90))
    deliver(service_event(2))  # late and older: no effect

    response = client.get(f"/clinics/{CLINIC}/services/{SERVICE}")

    assert response.status_code == 200
    assert response.get_json() == {
        "clinic_id": CLINIC, "service_id": SERVICE, "name": "Physiotherapy session v3", "duration_minutes": 50,
        "price": {"amount_minor": 20000, "currency": "RON"}, "buffer_before_minutes": 5,
        "buffer_after_minutes": 10, "provider_ids": [PROVIDER],
        "required_forms": [{"kind": "intake", "template_key": "physio-intake"},
                           {"kind": "consent", "template_key": "treatment-consent"}],
        "cancellation_window_hours": 48, "refund_policy": {"kind": "partial", "percent": 50, "text": "Half back."},
        "reminders": {"before_24h": True, "before_1h": False}, "version": 3, "archived": False,
        "updated_at": "2026-03-14T09:03:00+00:00", "minimum_notice_minutes": 120, "booking_horizon_days": 90,
    }


def test_an_archived_service_is_still_served_marked_archived(client, deliver, service_event):
    deliver(service_event(1))
    deliver(service_event(2, archived=True))

    body = client.get(f"/clinics/{CLINIC}/services/{SERVICE}").get_json()

    assert (body["version"], body["archived"]) == (2, True)


def test_a_services_calendars_are_served_archived_ones_included(client, deliver, service_event, calendar_event):
    deliver(service_event(1))
    deliver(calendar_event(1))
    deliver(calendar_event(2, archived=True, minimum_notice_minutes=1440))

    response = client.get(f"/clinics/{CLINIC}/services/{SERVICE}/calendars")

    assert response.status_code == 200
    assert response.get_json() == {"calendars": [{
        "clinic_id": CLINIC, "calendar_id": CALENDAR, "service_id": SERVICE, "name": "Spring promotion v2",
        "kind": "promotion", "price": {"amount_minor": 15000, "currency": "RON"}, "timezone": "Europe/Bucharest",
        "hours": [{"weekday": 1, "start": "09:00", "end": "13:00"}, {"weekday": 3, "start": "14:00", "end": "24:00"}],
        "bookable_from": "2026-04-01", "bookable_until": "2026-04-30", "version": 2, "archived": True,
        "updated_at": "2026-03-14T09:02:00+00:00", "minimum_notice_minutes": 1440, "booking_horizon_days": None,
    }]}


def test_a_service_without_calendars_has_an_empty_list(client, deliver, service_event):
    deliver(service_event(1))

    assert client.get(f"/clinics/{CLINIC}/services/{SERVICE}/calendars").get_json() == {"calendars": []}


@pytest.mark.parametrize("path", [
    f"/providers/{PROVIDER}", f"/services/{SERVICE}", f"/services/{SERVICE}/calendars",
], ids=["provider", "service", "calendars"])
def test_another_clinics_provider_or_service_is_not_found(client, deliver, provider_event, service_event,
                                                          calendar_event, path):
    for event in (provider_event(1), service_event(1), calendar_event(1)):
        deliver(event)
    other_clinic = uuid.uuid4()

    assert client.get(f"/clinics/{CLINIC}{path}").status_code == 200
    assert_not_found(client.get(f"/clinics/{other_clinic}{path}"), f"/clinics/{other_clinic}{path}")


@pytest.mark.parametrize("path", [
    f"/providers/{PROVIDER}", f"/services/{SERVICE}", f"/services/{SERVICE}/calendars",
], ids=["provider", "service", "calendars"])
def test_what_scheduling_has_not_heard_of_is_not_found(client, path):
    assert_not_found(client.get(f"/clinics/{CLINIC}{path}"), f"/clinics/{CLINIC}{path}")


def test_calendars_of_a_service_scheduling_has_not_heard_of_are_not_found(client, deliver, calendar_event):
    deliver(calendar_event(1))  # its service's event has not arrived yet

    path = f"/clinics/{CLINIC}/services/{SERVICE}/calendars"
    assert_not_found(client.get(path), path)
