"""How far ahead a service may be booked: its own minimum notice and booking horizon, or a booking
calendar's, in the slots offered and in the bookings accepted alike. PostgreSQL and SQLite."""

from __future__ import annotations

import uuid

import pytest

from .conftest import ANA, CLINIC, DAN, SERVICE, at, next_monday

pytestmark = pytest.mark.integration
WEEKS_NOTICE = 14 * 24 * 60
MONDAY_MORNINGS = uuid.UUID("0190f3a5-4e5f-7061-8293-4d5e6f7a8b21")


@pytest.fixture
def service_says(deliver, service_event, specialists):
    """Catalog changes the service: `version` 2 onwards, Ana and Dan still deliver it."""

    def change(version: int, **changes) -> None:
        deliver(service_event(version, provider_ids=[uuid.UUID(ANA), uuid.UUID(DAN)], **changes))

    return change


def offered(client, **query) -> list[str]:
    day = next_monday().isoformat()
    response = client.get(f"/clinics/{CLINIC}/services/{SERVICE}/slots",
                          query_string={"from": day, "to": day, "tz": "Europe/Bucharest", "provider_id": ANA, **query})
    assert response.status_code == 200, response.get_json()
    return [slot["start"][11:16] for slot in response.get_json()["slots"]]


def test_a_service_that_sets_neither_is_booked_an_hour_to_180_days_ahead(client, book, specialists):
    assert offered(client) == ["09:00", "09:50", "10:40"]
    assert book(at(next_monday(), "09:00"), provider_id=ANA).status_code == 201
    assert book(at(next_monday(weeks_ahead=27), "09:00"), provider_id=ANA).status_code == 422  # 180 days


def test_a_services_minimum_notice_holds_slots_and_bookings_back(client, book, service_says):
    service_says(2, minimum_notice_minutes=WEEKS_NOTICE)  # next Monday is less than two weeks away

    assert offered(client) == []
    assert book(at(next_monday(), "09:00"), provider_id=ANA).status_code == 422
    assert book(at(next_monday(weeks_ahead=3), "09:00"), provider_id=ANA).status_code == 201


def test_a_services_booking_horizon_ends_what_is_offered_and_booked(client, book, service_says):
    service_says(2, booking_horizon_days=30)

    assert offered(client) == ["09:00", "09:50", "10:40"]
    assert book(at(next_monday(weeks_ahead=5), "09:00"), provider_id=ANA).status_code == 422
    assert book(at(next_monday(weeks_ahead=3), "09:00"), provider_id=ANA).status_code == 201


def test_a_calendar_books_on_its_own_window_and_the_service_on_its(client, book, service_says, deliver,
                                                                     calendar_event):
    service_says(2, minimum_notice_minutes=WEEKS_NOTICE)
    deliver(calendar_event(1, calendar_id=MONDAY_MORNINGS, kind="standard", price=None, bookable_from=None,
                           bookable_until=None, hours=[{"weekday": 1, "start": "09:00", "end": "12:00"}],
                           minimum_notice_minutes=60))

    assert offered(client, calendar_id=str(MONDAY_MORNINGS)) == ["09:00", "09:50", "10:40"]
    assert offered(client) == ["09:00", "09:50", "10:40"]  # through any calendar: this one's window
    booked = book(at(next_monday(), "09:50"), provider_id=ANA)
    assert booked.status_code == 201 and booked.get_json()["calendar_id"] == str(MONDAY_MORNINGS)
