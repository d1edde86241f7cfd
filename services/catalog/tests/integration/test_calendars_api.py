"""A service's booking calendars over HTTP (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid

import pytest

from clinic_contracts.events.catalog import CalendarArchivedV1, CalendarUpsertedV1

pytestmark = pytest.mark.integration

PROMOTION = {"name": "Spring promotion", "kind": "promotion", "price": {"amount_minor": 15000, "currency": "RON"},
             "hours": [{"weekday": 1, "start": "09:00", "end": "13:00"},
                       {"weekday": 3, "start": "14:00", "end": "18:30"}],
             "bookable_from": "2026-04-01", "bookable_until": "2026-04-30", "minimum_notice_minutes": 0,
             "booking_horizon_days": 30}


@pytest.fixture
def service(catalog):
    return catalog.service()


def test_a_service_has_several_calendars_each_with_its_price_hours_and_dates(client, catalog, service):
    standard = catalog.calendar(service)
    promotion = client.post(catalog.url(f"/services/{service['id']}/calendars"), json=PROMOTION)

    assert promotion.status_code == 201
    body = promotion.get_json()
    assert {k: v for k, v in body.items() if k not in ("id", "updated_at")} == {
        **PROMOTION, "service_id": service["id"], "timezone": "Europe/Bucharest", "version": 1, "archived": False}
    assert promotion.headers["Location"] == catalog.url(f"/services/{service['id']}/calendars/{body['id']}")
    assert (standard["kind"], standard["price"], standard["hours"], standard["bookable_from"],
            standard["minimum_notice_minutes"], standard["booking_horizon_days"]) == (
        "standard", None, [], None, None, None)
    listed = client.get(catalog.url(f"/services/{service['id']}/calendars")).get_json()["calendars"]
    assert {c["id"] for c in listed} == {standard["id"], body["id"]}


def test_calendars_are_managed_without_changing_the_service(client, catalog, service, stored):
    calendar = catalog.calendar(service)
    url = catalog.url(f"/services/{service['id']}/calendars/{calendar['id']}")

    client.put(url, json={**PROMOTION, "kind": "custom_hours", "price": None}, headers={"If-Match": '"1"'})
    client.post(f"{url}/archive", headers={"If-Match": '"2"'})

    assert client.get(catalog.url(f"/services/{service['id']}")).get_json() == service
    assert stored.outbox_types().count("catalog.service.upserted.v1") == 1
    assert [e.payload(CalendarUpsertedV1).kind for e in stored.envelopes("catalog.calendar.upserted.v1")] == [
        "standard", "custom_hours"]
    [archived] = stored.envelopes("catalog.calendar.archived.v1")
    assert (archived.payload(CalendarArchivedV1).version, archived.payload(CalendarArchivedV1).archived) == (3, True)


def test_a_calendars_notice_and_horizon_are_changed_and_published_with_its_snapshots(client, catalog, service,
                                                                                     stored):
    calendar = catalog.calendar(service)
    url = catalog.url(f"/services/{service['id']}/calendars/{calendar['id']}")

    changed = client.put(url, json={**PROMOTION, "minimum_notice_minutes": 240, "booking_horizon_days": 7},
                         headers={"If-Match": '"1"'})
    client.post(f"{url}/archive", headers={"If-Match": '"2"'})

    assert (changed.get_json()["minimum_notice_minutes"], changed.get_json()["booking_horizon_days"]) == (240, 7)
    assert [(e.payload(CalendarUpsertedV1).minimum_notice_minutes, e.payload(CalendarUpsertedV1).booking_horizon_days)
            for e in stored.envelopes("catalog.calendar.upserted.v1")] == [(None, None), (240, 7)]
    [archived] = stored.envelopes("catalog.calendar.archived.v1")
    assert (archived.payload(CalendarArchivedV1).minimum_notice_minutes,
            archived.payload(CalendarArchivedV1).booking_horizon_days) == (240, 7)


def test_a_calendars_notice_no_shorter_than_its_horizon_is_refused_on_the_notice(client, catalog, service, stored,
                                                                                 fields_of):
    calendar = catalog.calendar(service)
    url = catalog.url(f"/services/{service['id']}/calendars/{calendar['id']}")
    before = stored.counts()

    too_long = client.put(url, json={**PROMOTION, "minimum_notice_minutes": 1440, "booking_horizon_days": 1},
                          headers={"If-Match": '"1"'})
    out_of_bounds = client.post(catalog.url(f"/services/{service['id']}/calendars"),
                                json={**PROMOTION, "minimum_notice_minutes": 43201, "booking_horizon_days": 731})

    assert (too_long.status_code, fields_of(too_long)) == (422, ["minimum_notice_minutes"])
    assert (out_of_bounds.status_code, fields_of(out_of_bounds)) == (
        422, ["minimum_notice_minutes", "booking_horizon_days"])
    assert stored.counts() == before


def test_a_calendar_leaving_nothing_bookable_within_its_services_window_is_refused_and_nothing_written(
        client, catalog, stored, fields_of):
    service = catalog.service(booking_horizon_days=2)
    before = stored.counts()

    response = client.post(catalog.url(f"/services/{service['id']}/calendars"),
                           json={"name": "Surgery", "kind": "standard", "minimum_notice_minutes": 43200})

    assert (response.status_code, fields_of(response)) == (422, ["minimum_notice_minutes"])
    assert "2 days" in response.get_json()["errors"][0]["message"]
    assert stored.counts() == before


def test_a_service_window_leaving_nothing_bookable_through_a_calendar_is_refused_and_nothing_written(
        client, catalog, service, stored, fields_of, service_body_of):
    calendar = catalog.calendar(service, minimum_notice_minutes=43200)
    before = stored.counts()

    response = client.put(catalog.url(f"/services/{service['id']}"), headers={"If-Match": '"1"'},
                          json=service_body_of(service, booking_horizon_days=2))

    assert (response.status_code, fields_of(response)) == (422, ["booking_horizon_days"])
    assert calendar["id"] in response.get_json()["errors"][0]["message"]
    assert stored.counts() == before


def test_a_calendar_range_that_ends_before_it_starts_is_refused_and_nothing_is_written(client, catalog, service,
                                                                                      stored, fields_of):
    before = stored.counts()

    response = client.post(catalog.url(f"/services/{service['id']}/calendars"),
                           json={**PROMOTION, "bookable_from": "2026-04-30", "bookable_until": "2026-04-01"})

    assert (response.status_code, fields_of(response)) == (422, ["bookable_until"])
    assert stored.counts() == before


def test_malformed_calendars_are_refused_per_field(client, catalog, service, fields_of):
    response = client.post(catalog.url(f"/services/{service['id']}/calendars"), json={
        "name": "Evenings", "kind": "custom_hours", "timezone": "Mars/Olympus", "bookable_from": "1 April",
        "hours": [{"weekday": 8, "start": "18:00", "end": "17:00"}]})

    assert response.status_code == 422
    assert fields_of(response) == ["bookable_from"]
    response = client.post(catalog.url(f"/services/{service['id']}/calendars"), json={
        "name": "Evenings", "kind": "custom_hours", "timezone": "Mars/Olympus",
        "hours": [{"weekday": 8, "start": "18:00", "end": "17:00"}]})
    assert fields_of(response) == ["timezone", "hours.0.weekday", "hours.0.end"]


def test_a_calendar_changes_only_with_its_current_etag(client, catalog, service):
    calendar = catalog.calendar(service)
    url = catalog.url(f"/services/{service['id']}/calendars/{calendar['id']}")

    assert client.put(url, json=PROMOTION).status_code == 428
    assert client.put(url, json=PROMOTION, headers={"If-Match": '"1"'}).headers["ETag"] == '"2"'
    assert client.put(url, json=PROMOTION | {"name": "Other"}, headers={"If-Match": '"1"'}).status_code == 412


def test_a_calendar_is_reached_only_through_its_own_service(client, catalog, service):
    calendar = catalog.calendar(service)
    other = catalog.service(name="Massage")

    assert client.get(catalog.url(f"/services/{other['id']}/calendars/{calendar['id']}")).status_code == 404
    assert client.put(catalog.url(f"/services/{other['id']}/calendars/{calendar['id']}"), json=PROMOTION,
                      headers={"If-Match": '"1"'}).status_code == 404


def test_an_archived_service_gets_no_new_calendar(client, catalog, service, fields_of):
    client.post(catalog.url(f"/services/{service['id']}/archive"), headers={"If-Match": '"1"'})

    response = client.post(catalog.url(f"/services/{service['id']}/calendars"), json=PROMOTION)

    assert (response.status_code, fields_of(response)) == (422, ["service"])


def test_the_calendars_of_an_unknown_service_are_a_404(client, catalog):
    assert client.get(catalog.url(f"/services/{uuid.uuid4()}/calendars")).status_code == 404
    assert client.post(catalog.url(f"/services/{uuid.uuid4()}/calendars"), json=PROMOTION).status_code == 404
