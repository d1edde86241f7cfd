"""Specialists' availability and a service's slots over scheduling's internal HTTP API, on its
real database (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from clinic_contracts import Envelope
from clinic_contracts.events.scheduling import AvailabilityUpdatedV1
from clinic_runtime.messaging.tables import outbox
from scheduling.adapters.availability import SqlAvailability

from .conftest import next_monday, problem

pytestmark = pytest.mark.integration

CLINIC = "0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60"
PROVIDER = "0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01"
SERVICE = "0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01"
CALENDAR = "0190f3a5-4e5f-7061-8293-4d5e6f7a8b01"
AVAILABILITY = f"/clinics/{CLINIC}/providers/{PROVIDER}/availability"
SLOTS = f"/clinics/{CLINIC}/services/{SERVICE}/slots"
MORNINGS = {"timezone": "Europe/Bucharest", "rules": [{"weekday": 1, "start": "09:00", "end": "12:00"}],
            "blackout_dates": []}


@pytest.fixture
def specialist(deliver, provider_event, service_event):
    """Ana, who delivers the 50-minute service (5 minutes' prep, 10 of wrap time)."""
    deliver(provider_event(1))
    deliver(service_event(1))


@pytest.fixture
def published(sessions):
    def events() -> list[AvailabilityUpdatedV1]:
        with sessions() as session:
            bodies = session.execute(sa.select(outbox.c.body).where(
                outbox.c.event_type == "scheduling.availability.updated.v1").order_by(outbox.c.position)).scalars()
            return [Envelope.model_validate_json(body).payload(AvailabilityUpdatedV1) for body in bodies]

    return events


def shown(day: date, wall_clock: str, zone: str = "Europe/Bucharest", seen_in: str = "Europe/Bucharest") -> str:
    return datetime.combine(day, time.fromisoformat(wall_clock), ZoneInfo(zone)).astimezone(ZoneInfo(seen_in)).isoformat()


# -- availability ------------------------------------------------------------------------------


def test_a_specialists_availability_starts_empty_in_their_zone_at_version_0(client, specialist):
    response = client.get(AVAILABILITY)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"0"'
    assert response.get_json() == {
        "clinic_id": CLINIC, "provider_id": PROVIDER, "timezone": "Europe/Bucharest", "rules": [],
        "blackout_dates": [], "away": [], "overrides": [], "version": 0, "updated_at": None}


def test_a_weekly_schedule_is_replaced_with_if_match_and_served_as_stored(client, specialist, published):
    schedule = {"rules": [{"weekday": 1, "start": "09:00", "end": "13:00",
                           "location_id": "0190f3a2-7d2f-7c5e-8b64-3f9e5d2e8b01"},
                          {"weekday": 6, "start": "09:00", "end": "12:00", "valid_from": "2026-04-01",
                           "valid_until": "2026-06-30"}],
                "blackout_dates": ["2026-05-01", "2026-04-13"]}

    assert client.put(AVAILABILITY, json=schedule).status_code == 428
    response = client.put(AVAILABILITY, json=schedule, headers={"If-Match": '"0"'})

    assert (response.status_code, response.headers["ETag"]) == (200, '"1"')
    body = client.get(AVAILABILITY).get_json()
    assert body["rules"] == [
        {"weekday": 1, "start": "09:00", "end": "13:00", "valid_from": None, "valid_until": None,
         "location_id": "0190f3a2-7d2f-7c5e-8b64-3f9e5d2e8b01"},
        {"weekday": 6, "start": "09:00", "end": "12:00", "valid_from": "2026-04-01", "valid_until": "2026-06-30",
         "location_id": None}]
    assert (body["timezone"], body["blackout_dates"], body["version"]) == (
        "Europe/Bucharest", ["2026-04-13", "2026-05-01"], 1)
    [event] = published()
    assert (event.version, event.timezone, len(event.rules), event.blackout_dates) == (
        1, "Europe/Bucharest", 2, [date(2026, 4, 13), date(2026, 5, 1)])


def test_a_change_based_on_an_old_version_is_refused_and_writes_nothing(client, specialist, published):
    client.put(AVAILABILITY, json=MORNINGS, headers={"If-Match": '"0"'})

    response = client.put(AVAILABILITY, json={**MORNINGS, "rules": []}, headers={"If-Match": '"0"'})

    assert response.status_code == 412
    assert problem(response)["type"].endswith("/stale-version")
    assert len(client.get(AVAILABILITY).get_json()["rules"]) == 1
    assert len(published()) == 1


def test_a_malformed_if_match_is_refused(client, specialist):
    response = client.put(AVAILABILITY, json=MORNINGS, headers={"If-Match": "*"})

    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == "If-Match"


def test_an_invalid_schedule_is_refused_field_by_field_and_writes_nothing(client, specialist, published):
    schedule = {"timezone": "Europe/Cluj", "rules": [{"weekday": 8, "start": "09:00", "end": "12:00"},
                                                    {"weekday": 1, "start": "14:00", "end": "13:00"}],
                "blackout_dates": ["2026-05-01", "2026-05-01"]}

    response = client.put(AVAILABILITY, json=schedule, headers={"If-Match": '"0"'})

    assert response.status_code == 422
    assert [error["field"] for error in problem(response)["errors"]] == [
        "timezone", "rules.0.weekday", "rules.1.end", "blackout_dates.1"]
    assert client.get(AVAILABILITY).headers["ETag"] == '"0"'
    assert published() == []


def test_the_hosts_own_zone_is_no_zone_for_a_schedule(client, specialist):
    response = client.put(AVAILABILITY, json={**MORNINGS, "timezone": "localtime"}, headers={"If-Match": '"0"'})

    assert response.status_code == 422
    assert [error["field"] for error in problem(response)["errors"]] == ["timezone"]
    assert client.get(AVAILABILITY).headers["ETag"] == '"0"'


def test_a_body_that_is_not_a_schedule_is_refused(client, specialist):
    response = client.put(AVAILABILITY, json={"rules": [{"weekday": "Monday"}]}, headers={"If-Match": '"0"'})

    assert response.status_code == 422
    assert {error["field"] for error in problem(response)["errors"]} == {
        "rules.0.weekday", "rules.0.start", "rules.0.end"}


def test_an_away_range_is_added_once_per_idempotency_key_and_removed(client, specialist, published):
    headers = {"Idempotency-Key": "away-may-2026"}
    away = {"first_day": "2026-05-01", "last_day": "2026-05-09", "note": " Vacation "}

    added = client.post(f"{AVAILABILITY}/away", json=away, headers=headers)
    replayed = client.post(f"{AVAILABILITY}/away", json=away, headers=headers)

    assert (added.status_code, added.headers["ETag"]) == (201, '"1"')
    body = added.get_json()
    assert body == {"id": body["id"], "first_day": "2026-05-01", "last_day": "2026-05-09", "note": "Vacation"}
    assert added.headers["Location"] == f"{AVAILABILITY}/away/{body['id']}"
    assert (replayed.status_code, replayed.get_json(), replayed.headers["Idempotent-Replayed"]) == (201, body, "true")
    assert client.get(AVAILABILITY).get_json()["away"] == [body]

    removed = client.delete(f"{AVAILABILITY}/away/{body['id']}")

    assert (removed.status_code, removed.headers["ETag"]) == (204, '"2"')
    assert client.get(AVAILABILITY).get_json()["away"] == []
    assert client.delete(f"{AVAILABILITY}/away/{body['id']}").status_code == 404
    assert [event.version for event in published()] == [1, 2]


def test_concurrent_changes_of_one_availability_wait_for_each_other(client, specialist, published):
    def add_away(day: int) -> int:
        away = {"first_day": f"2026-05-{day:02d}", "last_day": f"2026-05-{day:02d}"}
        return client.application.test_client().post(f"{AVAILABILITY}/away", json=away).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add_away, range(1, 9)))

    assert statuses == [201] * 8
    body = client.get(AVAILABILITY).get_json()
    assert (body["version"], len(body["away"])) == (8, 8)
    assert sorted(event.version for event in published()) == list(range(1, 9))


def test_an_away_range_out_of_order_is_refused(client, specialist):
    response = client.post(f"{AVAILABILITY}/away", json={"first_day": "2026-05-09", "last_day": "2026-05-01"})

    assert response.status_code == 422
    assert problem(response)["errors"] == [{"field": "last_day", "message": "is before the first day"}]


@pytest.mark.parametrize(("path", "body"), [
    ("away", {"first_day": "2027-03-01", "last_day": "2027-03-01", "note": "a\x01b\x1bc"}),
    ("overrides", {"day": "2027-04-05", "kind": "closed", "note": "x\x08y"}),
    ("overrides", {"day": "2027-04-05", "kind": "extra_hours", "start": "10:00", "end": "12:00", "note": "\x07"}),
], ids=["away", "closed day", "extra hours"])
def test_a_note_with_control_characters_is_refused_and_writes_nothing(client, specialist, published, path, body):
    response = client.post(f"{AVAILABILITY}/{path}", json=body)

    assert response.status_code == 422
    assert problem(response)["errors"] == [{"field": "note", "message": "must not contain control characters"}]
    assert client.get(AVAILABILITY).headers["ETag"] == '"0"'
    assert published() == []


def test_overrides_close_a_day_or_add_hours_and_are_removed(client, specialist, published):
    closed = client.post(f"{AVAILABILITY}/overrides", json={"day": "2026-04-14", "kind": "closed",
                                                             "note": "Conference"})
    extra = client.post(f"{AVAILABILITY}/overrides", json={"day": "2026-04-04", "kind": "extra_hours",
                                                            "start": "10:00", "end": "14:00"})
    refused = client.post(f"{AVAILABILITY}/overrides", json={"day": "2026-04-14", "kind": "extra_hours",
                                                              "start": "10:00", "end": "12:00"})

    assert (closed.status_code, extra.status_code, extra.headers["ETag"]) == (201, 201, '"2"')
    assert problem(refused)["errors"] == [{"field": "day", "message": "2026-04-14 is already closed all day"}]
    assert [override["day"] for override in client.get(AVAILABILITY).get_json()["overrides"]] == [
        "2026-04-04", "2026-04-14"]

    removed = client.delete(f"{AVAILABILITY}/overrides/{closed.get_json()['id']}")

    assert (removed.status_code, removed.headers["ETag"]) == (204, '"3"')
    assert [event.overrides[0].kind for event in published()] == ["closed", "extra_hours", "extra_hours"]


def test_an_unknown_specialist_or_another_clinics_has_no_availability(client, specialist):
    other_clinic = f"/clinics/{uuid.uuid4()}/providers/{PROVIDER}/availability"

    for response in (client.get(f"/clinics/{CLINIC}/providers/{uuid.uuid4()}/availability"), client.get(other_clinic),
                     client.put(other_clinic, json=MORNINGS, headers={"If-Match": '"0"'}),
                     client.post(f"{other_clinic}/away", json={"first_day": "2026-05-01", "last_day": "2026-05-01"})):
        assert response.status_code == 404
        assert problem(response)["type"].endswith("/not-found")


def test_an_archived_specialists_availability_is_read_but_not_changed(client, deliver, specialist, provider_event):
    deliver(provider_event(2, archived=True))

    assert client.get(AVAILABILITY).status_code == 200
    response = client.put(AVAILABILITY, json=MORNINGS, headers={"If-Match": '"0"'})
    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == "provider"


# -- slots -------------------------------------------------------------------------------------


def test_a_services_slots_are_served_in_the_zone_asked_for(client, specialist):
    client.put(AVAILABILITY, json=MORNINGS, headers={"If-Match": '"0"'})
    monday = next_monday()

    response = client.get(f"{SLOTS}?from={monday - timedelta(days=1)}&to={monday}&tz=America/New_York")

    assert response.status_code == 200
    new_york = "America/New_York"
    assert response.get_json() == {"slots": [
        {"start": shown(monday, start, seen_in=new_york), "end": shown(monday, end, seen_in=new_york),
         "provider_id": PROVIDER}
        for start, end in (("09:00", "09:50"), ("09:50", "10:40"), ("10:40", "11:30"))]}


def test_slots_of_a_named_calendar_keep_to_its_hours(client, deliver, specialist, calendar_event):
    client.put(AVAILABILITY, json=MORNINGS, headers={"If-Match": '"0"'})
    deliver(calendar_event(1, bookable_from=None, bookable_until=None,
                           hours=[{"weekday": 1, "start": "10:00", "end": "12:00"}]))
    monday = next_monday()

    response = client.get(f"{SLOTS}?from={monday}&to={monday}&tz=Europe/Bucharest&calendar_id={CALENDAR}"
                          f"&provider_id={PROVIDER}")

    assert [slot["start"] for slot in response.get_json()["slots"]] == [shown(monday, "10:00"), shown(monday, "10:50")]


def test_days_off_leave_no_slots(client, specialist):
    client.put(AVAILABILITY, json=MORNINGS, headers={"If-Match": '"0"'})
    monday = next_monday()
    client.post(f"{AVAILABILITY}/away", json={"first_day": str(monday), "last_day": str(monday)})

    response = client.get(f"{SLOTS}?from={monday}&to={monday + timedelta(days=7)}&tz=Europe/Bucharest")

    assert {slot["start"][:10] for slot in response.get_json()["slots"]} == {str(monday + timedelta(days=7))}


def test_slots_follow_every_change_of_availability_read_before(client, specialist):
    """Availability read once is remembered by the web process; the next read sees any change."""
    monday = next_monday()
    week = f"{SLOTS}?from={monday}&to={monday + timedelta(days=6)}&tz=Europe/Bucharest"
    client.put(AVAILABILITY, json=MORNINGS, headers={"If-Match": '"0"'})
    assert len(client.get(week).get_json()["slots"]) == 3

    client.put(AVAILABILITY, json={**MORNINGS, "rules": [{"weekday": 1, "start": "09:00", "end": "09:50"},
                                                         {"weekday": 2, "start": "09:00", "end": "09:50"}]},
               headers={"If-Match": '"1"'})
    assert {slot["start"] for slot in client.get(week).get_json()["slots"]} == {
        shown(monday, "09:00"), shown(monday + timedelta(days=1), "09:00")}

    refused = client.put(AVAILABILITY, json={**MORNINGS, "rules": [{"weekday": 1, "start": "12:00", "end": "09:00"}]},
                         headers={"If-Match": '"2"'})
    assert refused.status_code == 422
    client.post(f"{AVAILABILITY}/away", json={"first_day": str(monday), "last_day": str(monday)})
    assert {slot["start"] for slot in client.get(week).get_json()["slots"]} == {shown(monday + timedelta(days=1), "09:00")}


def test_an_unset_availability_made_by_a_transaction_that_rolled_back_is_not_remembered_for_a_later_one(sessions):
    """A never-changed availability is made in the specialist's zone; one made in a transaction
    that rolled back must not stand for one made later, after the specialist moved zones."""
    clinic, provider = uuid.UUID(CLINIC), uuid.UUID(PROVIDER)
    with sessions() as session:
        assert SqlAvailability(session).held_for_change(clinic, provider, "Europe/Berlin").schedule.timezone == (
            "Europe/Berlin")
        session.rollback()
    with sessions() as session:
        made = SqlAvailability(session).held_for_change(clinic, provider, "Europe/London")
    assert (made.schedule.timezone, made.version) == ("Europe/London", 0)


@pytest.mark.parametrize(("query", "fields"), [
    ("from=2026-12-01&to=2026-12-02", ["tz"]),
    ("from=1 Dec&to=2026-12-02&tz=UTC", ["from"]),
    ("from=2026-02-30&to=2026-12-02&tz=UTC", ["from"]),
    ("to=2026-12-02&tz=UTC&provider_id=ana", ["from", "provider_id"]),
    ("from=2026-12-02&to=2026-12-01&tz=UTC", ["to"]),
    ("from=2026-12-01&to=2027-02-01&tz=UTC", ["to"]),
    ("from=2026-12-01&to=2026-12-02&tz=Europe/Cluj", ["tz"]),
    ("from=2026-12-01&to=2026-12-02&tz=UTC&calendar_id=1", ["calendar_id"]),
    ("from=2026-12-01&to=2026-12-02&tz=localtime", ["tz"]),
], ids=["no zone", "not a day", "no such day", "several", "backwards", "over 62 days", "unknown zone",
        "calendar not an id", "the hosts zone"])
def test_a_bad_slots_query_is_refused_field_by_field(client, specialist, query, fields):
    response = client.get(f"{SLOTS}?{query}")

    assert response.status_code == 422
    assert [error["field"] for error in problem(response)["errors"]] == fields


@pytest.mark.parametrize(("query", "fields"), [
    ("from=0001-01-01&to=0001-01-02&tz=Europe/Bucharest", ["from", "to"]),
    ("from=0001-01-02&to=0001-01-03&tz=Etc/GMT%2B12", ["from", "to"]),
    ("from=0001-12-31&to=0002-01-01&tz=UTC", ["from"]),
    ("from=9998-12-31&to=9999-01-01&tz=Pacific/Kiritimati", ["to"]),
    ("from=9999-12-28&to=9999-12-29&tz=Pacific/Kiritimati", ["from", "to"]),
    ("from=9999-12-30&to=9999-12-31&tz=Europe/Bucharest", ["from", "to"]),
], ids=["first days", "first days west", "into year 2", "into year 9999", "last days east", "last days"])
def test_days_at_the_ends_of_the_calendar_are_refused(client, specialist, query, fields):
    """The slot engine reads the zones a few days either side of those asked for: it was a 500."""
    client.put(AVAILABILITY, json={**MORNINGS, "timezone": "Etc/GMT+12"}, headers={"If-Match": '"0"'})

    response = client.get(f"{SLOTS}?{query}")

    assert response.status_code == 422
    assert [error["field"] for error in problem(response)["errors"]] == fields


def test_days_just_inside_the_calendar_the_slots_take_have_no_slots(client, specialist):
    client.put(AVAILABILITY, json={**MORNINGS, "timezone": "Pacific/Kiritimati"}, headers={"If-Match": '"0"'})

    for query in ("from=0002-01-01&to=0002-01-02&tz=Etc/GMT%2B12", "from=9998-12-30&to=9998-12-31&tz=Etc/GMT-14"):
        response = client.get(f"{SLOTS}?{query}")
        assert (response.status_code, response.get_json()) == (200, {"slots": []})


@pytest.mark.parametrize("path", [
    f"/clinics/{CLINIC}/services/{uuid.uuid4()}/slots?from=2026-12-01&to=2026-12-01&tz=UTC",
    f"/clinics/{uuid.uuid4()}/services/{SERVICE}/slots?from=2026-12-01&to=2026-12-01&tz=UTC",
    f"{SLOTS}?from=2026-12-01&to=2026-12-01&tz=UTC&provider_id={uuid.uuid4()}",
    f"{SLOTS}?from=2026-12-01&to=2026-12-01&tz=UTC&calendar_id={uuid.uuid4()}",
], ids=["unknown service", "other clinic", "specialist not of the service", "unknown calendar"])
def test_slots_of_what_scheduling_does_not_know_are_not_found(client, specialist, path):
    response = client.get(path)

    assert response.status_code == 404
    assert problem(response)["type"].endswith("/not-found")


def test_an_archived_service_has_no_slots(client, deliver, specialist, service_event):
    deliver(service_event(2, archived=True))

    assert client.get(f"{SLOTS}?from=2026-12-01&to=2026-12-01&tz=UTC").status_code == 404
