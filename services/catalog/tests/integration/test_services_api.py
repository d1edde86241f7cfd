"""A clinic's services over HTTP (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid

import pytest

from clinic_contracts.events.catalog import ServiceArchivedV1, ServiceUpsertedV1

pytestmark = pytest.mark.integration

FULL_REFUND = {"kind": "full", "percent": None, "text": ""}


def test_adding_a_service_answers_201_with_all_it_is(client, catalog):
    ana, ion = catalog.provider(), catalog.provider(name="Dr. Ion Rus", email="ion@dentalcare.ro")
    body = {
        "name": "Physiotherapy session", "description": "One to one.", "duration_minutes": 50,
        "price": {"amount_minor": 20000, "currency": "RON"}, "buffer_before_minutes": 5, "buffer_after_minutes": 10,
        "provider_ids": [ana["id"], ion["id"]],
        "required_forms": [{"kind": "intake", "template_key": "physio-intake"},
                           {"kind": "consent", "template_key": "treatment-consent"}],
        "cancellation_window_hours": 48, "refund_policy": {"kind": "partial", "percent": 50, "text": "Half back."},
        "reminders": {"before_24h": True, "before_1h": False}, "minimum_notice_minutes": 120,
        "booking_horizon_days": 60,
    }

    response = client.post(catalog.url("/services"), json=body)

    assert response.status_code == 201
    service = response.get_json()
    assert {k: v for k, v in service.items() if k not in ("id", "updated_at")} == {
        **body, "documents": [], "version": 1, "archived": False,
        "policy_shown_to_patients": {"cancellation_window_hours": 48, "refund_policy": body["refund_policy"],
                                     "minimum_notice_minutes": 120, "booking_horizon_days": 60}}
    assert (response.headers["ETag"], response.headers["Location"]) == ('"1"', catalog.url(f"/services/{service['id']}"))


def test_a_service_without_its_own_policy_shows_patients_the_clinics_and_the_platforms_booking_window(
        client, catalog, clinic_body, registered):
    service = catalog.service()
    client.put(f"/clinics/{registered['id']}", json=clinic_body(cancellation_window_hours=12),
               headers={"If-Match": '"1"'})

    read = client.get(catalog.url(f"/services/{service['id']}")).get_json()

    assert [service[k] for k in ("cancellation_window_hours", "refund_policy", "minimum_notice_minutes",
                                 "booking_horizon_days")] == [None, None, None, None]
    assert read["policy_shown_to_patients"] == {"cancellation_window_hours": 12, "refund_policy": FULL_REFUND,
                                                "minimum_notice_minutes": 60, "booking_horizon_days": 180}


def test_adding_a_service_leaves_its_full_snapshot_in_the_outbox(client, catalog, stored):
    service = catalog.service(provider_ids=[catalog.provider()["id"]])

    [envelope] = stored.envelopes("catalog.service.upserted.v1")
    event = envelope.payload(ServiceUpsertedV1)
    assert (str(event.service_id), envelope.subject, event.version) == (service["id"], service["id"], 1)
    assert ([str(i) for i in event.provider_ids], event.price.amount_minor, event.duration_minutes) == (
        service["provider_ids"], 20000, 50)


def test_changing_a_service_needs_its_current_etag_and_publishes_the_new_snapshot(client, catalog, stored,
                                                                                  service_body_of):
    service = catalog.service()
    url = catalog.url(f"/services/{service['id']}")
    body = service_body_of(service)

    missing = client.put(url, json={**body, "duration_minutes": 30})
    changed = client.put(url, json={**body, "duration_minutes": 30}, headers={"If-Match": '"1"'})
    stale = client.put(url, json={**body, "duration_minutes": 40}, headers={"If-Match": '"1"'})

    assert (missing.status_code, changed.status_code, stale.status_code) == (428, 200, 412)
    assert (changed.get_json()["duration_minutes"], changed.headers["ETag"]) == (30, '"2"')
    assert [e.payload(ServiceUpsertedV1).duration_minutes for e in stored.envelopes("catalog.service.upserted.v1")] == [
        50, 30]


def test_a_services_notice_and_horizon_are_changed_and_published_and_left_out_to_take_the_default(
        client, catalog, stored, service_body_of):
    service = catalog.service(minimum_notice_minutes=0)
    url = catalog.url(f"/services/{service['id']}")
    body = service_body_of(service)

    changed = client.put(url, json={**body, "minimum_notice_minutes": 1440, "booking_horizon_days": 14},
                         headers={"If-Match": '"1"'})
    defaulted = client.put(url, json=body, headers={"If-Match": '"2"'})

    answers = [service, changed.get_json(), defaulted.get_json()]
    assert [(a["minimum_notice_minutes"], a["booking_horizon_days"]) for a in answers] == [
        (0, None), (1440, 14), (None, None)]
    assert [(a["policy_shown_to_patients"]["minimum_notice_minutes"],
             a["policy_shown_to_patients"]["booking_horizon_days"]) for a in answers] == [(0, 180), (1440, 14),
                                                                                            (60, 180)]
    published = [e.payload(ServiceUpsertedV1) for e in stored.envelopes("catalog.service.upserted.v1")]
    assert [(e.minimum_notice_minutes, e.booking_horizon_days) for e in published] == [
        (0, None), (1440, 14), (None, None)]


def test_a_services_archived_snapshot_keeps_its_notice_and_horizon(client, catalog, stored):
    service = catalog.service(minimum_notice_minutes=30, booking_horizon_days=365)

    client.post(catalog.url(f"/services/{service['id']}/archive"), headers={"If-Match": '"1"'})

    [archived] = stored.envelopes("catalog.service.archived.v1")
    event = archived.payload(ServiceArchivedV1)
    assert (event.minimum_notice_minutes, event.booking_horizon_days, event.archived) == (30, 365, True)


@pytest.mark.parametrize(("window", "refused"), [
    ({"minimum_notice_minutes": -1, "booking_horizon_days": 731}, ["minimum_notice_minutes", "booking_horizon_days"]),
    ({"minimum_notice_minutes": 43201}, ["minimum_notice_minutes"]),
    ({"booking_horizon_days": 0}, ["booking_horizon_days"]),
    ({"minimum_notice_minutes": 2880, "booking_horizon_days": 2}, ["minimum_notice_minutes"]),
    ({"minimum_notice_minutes": "60", "booking_horizon_days": 30.0}, ["minimum_notice_minutes",
                                                                      "booking_horizon_days"]),
])
def test_a_notice_or_horizon_out_of_bounds_or_a_notice_no_shorter_than_the_horizon_is_refused_and_nothing_written(
        client, catalog, stored, fields_of, window, refused):
    before = stored.counts()

    response = client.post(catalog.url("/services"), json={
        "name": "Massage", "duration_minutes": 30, "price": {"amount_minor": 100, "currency": "RON"}, **window})

    assert (response.status_code, fields_of(response)) == (422, refused)
    assert stored.counts() == before


def test_archiving_a_service_publishes_its_archived_snapshot(client, catalog, stored):
    service = catalog.service()

    response = client.post(catalog.url(f"/services/{service['id']}/archive"), headers={"If-Match": '"1"'})

    assert (response.status_code, response.get_json()["archived"]) == (200, True)
    [envelope] = stored.envelopes("catalog.service.archived.v1")
    assert envelope.payload(ServiceArchivedV1).archived is True


def test_a_service_whose_sessions_an_active_plan_sells_cannot_be_archived(client, catalog, problem_of):
    service = catalog.service()
    plan = catalog.plan([service])

    response = client.post(catalog.url(f"/services/{service['id']}/archive"), headers={"If-Match": '"1"'})

    assert response.status_code == 409
    assert problem_of(response)["used_by"] == {"plans": [plan["id"]]}


def test_services_are_listed_by_the_specialist_who_delivers_them(client, catalog):
    ana = catalog.provider()
    delivered = catalog.service(provider_ids=[ana["id"]])
    catalog.service(name="Massage")

    listed = client.get(catalog.url("/services"), query_string={"provider_id": ana["id"]}).get_json()

    assert [s["id"] for s in listed["services"]] == [delivered["id"]]
    assert listed["next_cursor"] is None


def test_an_archived_specialist_cannot_be_assigned(client, catalog, fields_of):
    ana = catalog.provider()
    client.post(catalog.url(f"/providers/{ana['id']}/archive"), headers={"If-Match": '"1"'})

    response = client.post(catalog.url("/services"), json={
        "name": "Massage", "duration_minutes": 30, "price": {"amount_minor": 100, "currency": "RON"},
        "provider_ids": [ana["id"]]})

    assert (response.status_code, fields_of(response)) == (422, ["provider_ids.0"])
    assert "archived" in response.get_json()["errors"][0]["message"]


def test_a_service_of_an_unknown_clinic_is_a_404(client, registered):
    response = client.post(f"/clinics/{uuid.uuid4()}/services", json={
        "name": "Massage", "duration_minutes": 30, "price": {"amount_minor": 100, "currency": "RON"}})

    assert response.status_code == 404
