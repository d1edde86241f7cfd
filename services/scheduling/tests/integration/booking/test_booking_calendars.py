"""Bookings through a service's booking calendars: the price is the calendar's the start is
offered through, whether or not the booking names it, and an appointment outlives its calendar.
PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from .conftest import ANA, CLINIC, DAN, at, next_monday

pytestmark = pytest.mark.integration
STAFF = {"kind": "staff", "account_id": "0190f3b0-0000-7000-8000-00000000aaaa"}
BASE = f"/clinics/{CLINIC}/appointments"
EARLY = uuid.UUID("0190f3a5-4e5f-7061-8293-4d5e6f7a8b11")  # Mondays 09:00-10:40 at the service's price
LATE = uuid.UUID("0190f3a5-4e5f-7061-8293-4d5e6f7a8b12")  # Mondays 10:40-12:00, dearer
PROMOTION = uuid.UUID("0190f3a5-4e5f-7061-8293-4d5e6f7a8b13")  # Mondays 09:00-10:40, cheaper


@pytest.fixture
def calendars(specialists, deliver, calendar_event):
    """Ana and Dan's Monday mornings (50-minute slots at 09:00, 09:50 and 10:40) split between an
    early calendar at the service's price (200 RON) and a dearer late one (350 RON)."""

    def offer(calendar_id, name, start, end, price, kind="custom_hours", version=1, **changes):
        deliver(calendar_event(version, calendar_id=calendar_id, name=name, kind=kind, price=price,
                               hours=[{"weekday": 1, "start": start, "end": end}], bookable_from=None,
                               bookable_until=None, **changes))

    offer(EARLY, "Early", "09:00", "10:40", None, kind="standard")
    offer(LATE, "Late", "10:40", "12:00", {"amount_minor": 35000, "currency": "RON"})
    return offer


def test_a_booking_naming_no_calendar_pays_the_price_of_the_calendar_offering_its_start(calendars, book):
    late = book(at(next_monday(), "10:40"), provider_id=ANA)
    early = book(at(next_monday(), "09:00"), provider_id=ANA)

    assert late.status_code == early.status_code == 201
    assert (late.get_json()["calendar_id"], late.get_json()["price"]["amount_minor"]) == (str(LATE), 35000)
    assert (early.get_json()["calendar_id"], early.get_json()["price"]["amount_minor"]) == (str(EARLY), 20000)


def test_where_calendars_offer_the_same_start_a_booking_naming_none_pays_the_lowest_price(calendars, book):
    calendars(PROMOTION, "Promotion", "09:00", "10:40", {"amount_minor": 15000, "currency": "RON"},
              kind="promotion")

    unnamed = book(at(next_monday(), "09:00"), provider_id=ANA)
    named = book(at(next_monday(), "09:00"), provider_id=DAN, calendar_id=str(EARLY))

    assert (unnamed.get_json()["calendar_id"], unnamed.get_json()["price"]["amount_minor"]) == (str(PROMOTION), 15000)
    assert (named.get_json()["calendar_id"], named.get_json()["price"]["amount_minor"]) == (str(EARLY), 20000)


def test_a_start_outside_the_named_calendar_is_not_a_slot(calendars, book):
    response = book(at(next_monday(), "10:40"), provider_id=ANA, calendar_id=str(EARLY))

    assert response.status_code == 422


def test_an_appointment_whose_calendar_was_archived_is_still_rescheduled_and_given_another_specialist(
        calendars, book, client):
    booked = book(at(next_monday(), "10:40"), provider_id=ANA).get_json()
    calendars(LATE, "Late", "10:40", "12:00", {"amount_minor": 35000, "currency": "RON"}, version=2, archived=True)

    moved = client.post(f"{BASE}/{booked['appointment_id']}/reschedule",
                        json={"start": at(next_monday(), "09:50").isoformat(), "actor": STAFF})
    assert moved.status_code == 201, moved.get_json()
    new = moved.get_json()
    handed = client.post(f"{BASE}/{new['appointment_id']}/provider", json={"provider_id": DAN, "actor": STAFF})

    assert handed.status_code == 200, handed.get_json()
    assert (handed.get_json()["calendar_id"], handed.get_json()["price"]["amount_minor"]) == (str(LATE), 35000)
    assert datetime.fromisoformat(handed.get_json()["start"]) == at(next_monday(), "09:50")
