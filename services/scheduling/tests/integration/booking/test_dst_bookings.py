"""Booking on the days clocks change, through the API, with the specialist in one zone and the
patient in another: Europe/Bucharest and America/New_York, spring and autumn.

The specialist works a Sunday window that spans the change, in their own zone; a 60-minute
service is booked at every slot the patient sees in theirs. The spring gap shortens the window
(no slot starts in the missing hour), the repeated autumn hour lengthens it (both passes of it
are bookable, as different instants). The clock is set a few weeks before each change, so the
changes of 2027 lie inside the booking horizon.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import ANA, CLINIC, SERVICE, problem

pytestmark = pytest.mark.integration

CASES = {
    # The specialist in Bucharest; clocks jump 03:00 -> 04:00 on 28 March. New York is on EDT already.
    "bucharest-spring": ("Europe/Bucharest", "02:00", "06:00", "America/New_York", "2027-03-27",
                         ["2027-03-27T20:00:00-04:00", "2027-03-27T21:00:00-04:00", "2027-03-27T22:00:00-04:00"]),
    # Bucharest falls back 04:00 -> 03:00 on 31 October: 03:00 comes twice (00:00Z and 01:00Z).
    "bucharest-autumn": ("Europe/Bucharest", "02:00", "05:00", "America/New_York", "2027-10-30",
                         ["2027-10-30T19:00:00-04:00", "2027-10-30T20:00:00-04:00", "2027-10-30T21:00:00-04:00",
                          "2027-10-30T22:00:00-04:00"]),
    # The specialist in New York; clocks jump 02:00 -> 03:00 on 14 March. Bucharest is on EET.
    "new-york-spring": ("America/New_York", "01:00", "05:00", "Europe/Bucharest", "2027-03-14",
                        ["2027-03-14T08:00:00+02:00", "2027-03-14T09:00:00+02:00", "2027-03-14T10:00:00+02:00"]),
    # New York falls back 02:00 -> 01:00 on 7 November: 01:00 EDT, then 01:00 EST.
    "new-york-autumn": ("America/New_York", "00:00", "03:00", "Europe/Bucharest", "2027-11-07",
                        ["2027-11-07T06:00:00+02:00", "2027-11-07T07:00:00+02:00", "2027-11-07T08:00:00+02:00",
                         "2027-11-07T09:00:00+02:00"]),
}
CLOCKS = {"spring": datetime(2027, 3, 1, tzinfo=UTC), "autumn": datetime(2027, 10, 10, tzinfo=UTC)}


@pytest.fixture(params=sorted(CASES))
def change(request, prepare):
    return prepare(request.param)


@pytest.fixture(params=["bucharest-autumn", "new-york-autumn"])
def autumn(request, prepare):
    return CASES[request.param][0], *prepare(request.param)


@pytest.fixture
def prepare(client, clinic, deliver, provider_event, service_event, monkeypatch):
    """The clinic a few weeks before the change of `case`; the patient's zone, the day and the
    slots they should see."""
    return lambda case: _prepare(case, client, deliver, provider_event, service_event, monkeypatch)


def _prepare(case, client, deliver, provider_event, service_event, monkeypatch):
    provider_zone, start, end, patient_zone, day, expected = CASES[case]
    now = CLOCKS[case.rsplit("-", 1)[1]]
    for module in ("appointments", "availability"):
        monkeypatch.setattr(f"scheduling.entrypoints.{module}.utcnow", lambda: now)
    deliver(provider_event(1, timezone=provider_zone))
    deliver(service_event(1, duration_minutes=60, buffer_before_minutes=0, buffer_after_minutes=0))
    availability = f"/clinics/{CLINIC}/providers/{ANA}/availability"
    client.put(availability, json={"timezone": provider_zone, "blackout_dates": [],
                                   "rules": [{"weekday": 7, "start": start, "end": end}]},
               headers={"If-Match": client.get(availability).headers["ETag"]})
    return patient_zone, day, expected


def slots(client, zone: str, day: str) -> list[str]:
    response = client.get(f"/clinics/{CLINIC}/services/{SERVICE}/slots",
                          query_string={"from": day, "to": day, "tz": zone})
    assert response.status_code == 200
    return [slot["start"] for slot in response.get_json()["slots"]]


def book(client, start: str):
    return client.post(f"/clinics/{CLINIC}/appointments", json={
        "service_id": SERVICE, "start": start, "provider_id": ANA, "actor": {"kind": "patient"},
        "patient": {"name": "Maria Ionescu", "email": "maria@example.ro", "mobile": "+40712345678"}})


def test_every_slot_of_a_changing_day_is_bookable_once_in_the_patients_zone(client, change):
    zone, day, expected = change
    assert slots(client, zone, day) == expected

    booked = [book(client, start) for start in expected]

    assert [response.status_code for response in booked] == [201] * len(expected)
    for start, response in zip(expected, booked, strict=True):
        body = response.get_json()
        assert datetime.fromisoformat(body["start"]) == datetime.fromisoformat(start)
        assert (datetime.fromisoformat(body["end"]) - datetime.fromisoformat(body["start"])).total_seconds() == 3600
    assert len({response.get_json()["start"] for response in booked}) == len(expected)  # distinct instants
    assert slots(client, zone, day) == []
    again = book(client, expected[0])
    assert again.status_code == 409 and problem(again)["type"].endswith("/slot-taken")


def test_a_start_off_the_grid_of_a_changing_day_is_422(client, change):
    zone, day, expected = change

    off_grid = datetime.fromisoformat(expected[0]).replace(minute=30).isoformat()

    assert book(client, off_grid).status_code == 422


def test_the_repeated_hour_gives_two_appointments_at_one_wall_clock_an_hour_apart(client, autumn):
    provider_zone, zone, day, expected = autumn
    for start in expected:
        book(client, start)

    listed = client.get(f"/clinics/{CLINIC}/appointments").get_json()["appointments"]

    starts = [datetime.fromisoformat(a["start"]) for a in listed]
    assert [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)] == [timedelta(hours=1)] * 3
    walls = [start.astimezone(ZoneInfo(provider_zone)) for start in starts]
    assert walls[1].strftime("%H:%M") == walls[2].strftime("%H:%M")
    assert walls[1].utcoffset() != walls[2].utcoffset()
