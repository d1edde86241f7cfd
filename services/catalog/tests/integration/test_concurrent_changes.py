"""Two changes at once, one relying on what the other changes, on PostgreSQL (row locks) and
SQLite (one writer at a time): exactly one of them wins, whichever starts first.

Each test runs one request up to a point (`Pause`), starts the other, lets it run until it waits
for the first (or is answered: nothing made it wait), then lets the first go on. On PostgreSQL
the second request really runs meanwhile; SQLite queues it for the whole database.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from catalog.adapters.entry_repositories import SqlCalendars, SqlPlans, SqlProducts, SqlProviders, SqlServices
from catalog.adapters.repository import SqlClinicRepository

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7\n% how to prepare for your first session\n"


class Pause:
    """Stops the first request that calls `owner.method`, just after the call, until `go`."""

    def __init__(self, monkeypatch, owner: type, method: str) -> None:
        self.reached = threading.Event()
        self.go = threading.Event()
        taken = threading.Lock()
        original = getattr(owner, method)

        def paused(*args, **kwargs):
            result = original(*args, **kwargs)
            if taken.acquire(blocking=False):
                self.reached.set()
                assert self.go.wait(30), "the test never let the paused request go on"
            return result

        monkeypatch.setattr(owner, method, paused)


@pytest.fixture
def race(database_url, until_a_request_waits_on_a_lock) -> Callable[..., tuple[Any, Any]]:
    """`race(pause, first, second)`: the answers to `first`, paused by `pause`, and to `second`,
    started meanwhile."""

    def run(pause: Pause, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
        with ThreadPoolExecutor(2) as pool:
            first_answer = pool.submit(first)
            assert pause.reached.wait(30), "the first request never reached its pause"
            second_answer = pool.submit(second)
            if sa.make_url(database_url).get_backend_name() == "postgresql":
                engine = sa.create_engine(database_url)
                try:
                    until_a_request_waits_on_a_lock(engine, answered=second_answer)
                finally:
                    engine.dispose()
            else:
                # SQLite shows no waits: the second request queues for the database whenever it gets there.
                time.sleep(0.2)
            pause.go.set()
            return first_answer.result(timeout=30), second_answer.result(timeout=30)

    return run


@pytest.fixture
def other_client(client):
    """A second client of the same app, for the request run beside `client`'s."""
    return client.application.test_client()


def answers(*responses) -> list[tuple[int, str | None]]:
    """Each response's status, and its problem's type (None for a success)."""
    return [(r.status_code, r.get_json()["type"].rsplit("/", 1)[-1] if r.status_code >= 400 else None)
            for r in responses]


# -- archiving an entry while a change starts referring to it ----------------------------------


@pytest.fixture
def archive_races(catalog, client, other_client, plan_body):
    """For each kind of entry: what archives one, what starts referring to it, and where each
    pauses (the archive once it counted its users, the reference once it read what it refers to)."""
    service, provider, product, bundling = catalog.service(), catalog.provider(), catalog.product(), catalog.service()
    location = catalog.location()
    archive = lambda path: lambda: client.post(catalog.url(f"{path}/archive"), headers={"If-Match": '"1"'})
    add = lambda path, body: lambda: other_client.post(catalog.url(path), json=body)
    return {
        "a service a new plan sells sessions of": (
            archive(f"/services/{service['id']}"), (SqlPlans, "using_service"),
            add("/plans", plan_body([service])), (SqlServices, "states")),
        "a specialist a new service is delivered by": (
            archive(f"/providers/{provider['id']}"), (SqlServices, "delivered_by"),
            add("/services", {"name": "Massage", "duration_minutes": 30,
                              "price": {"amount_minor": 9000, "currency": "RON"}, "provider_ids": [provider["id"]]}),
            (SqlProviders, "states")),
        "a product a new plan bundles": (
            archive(f"/products/{product['id']}"), (SqlPlans, "bundling"),
            add("/plans", plan_body([bundling], products=[{"product_id": product["id"]}])),
            (SqlProducts, "states")),
        # A location is part of the clinic: it is archived with the clinic's ETag.
        "a location a new specialist works at": (
            lambda: client.post(catalog.url(f"/locations/{location['id']}/archive"), headers={"If-Match": '"2"'}),
            (SqlProviders, "working_at"),
            add("/providers", {"name": "Dr. Dan Ionescu", "email": "dan.ionescu@dentalcare.ro",
                               "timezone": "Europe/Bucharest", "location_ids": [location["id"]]}),
            (SqlClinicRepository, "get")),
    }


ENTRIES = ["a service a new plan sells sessions of", "a specialist a new service is delivered by",
           "a product a new plan bundles", "a location a new specialist works at"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_an_archive_that_starts_first_wins_and_the_new_reference_is_refused(race, archive_races, monkeypatch,
                                                                            entry):
    archive, counting_users, refer, _ = archive_races[entry]

    archived, referring = race(Pause(monkeypatch, *counting_users), archive, refer)

    assert answers(archived, referring) == [(200, None), (422, "validation-error")]
    assert "is archived" in referring.get_json()["errors"][0]["message"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_reference_that_starts_first_wins_and_the_archive_is_refused(race, archive_races, monkeypatch, entry):
    archive, _, refer, reading_referred = archive_races[entry]

    referring, archived = race(Pause(monkeypatch, *reading_referred), refer, archive)

    assert (referring.status_code, archived.status_code) == (201, 409)
    assert archived.get_json()["type"].endswith("-in-use")
    assert [referring.get_json()["id"]] in archived.get_json()["used_by"].values()


# -- changing the clinic's currency while an entry is priced in it ------------------------------


@pytest.fixture
def currency_race(catalog, client, other_client, clinic_body):
    """What changes the clinic's currency, what adds a service priced in the old one."""
    change = lambda: client.put(catalog.url(), json=clinic_body(currency="EUR"), headers={"If-Match": '"1"'})
    add = lambda: other_client.post(catalog.url("/services"), json={
        "name": "Massage", "duration_minutes": 30, "price": {"amount_minor": 9000, "currency": "RON"}})
    return change, add


def test_a_currency_change_that_starts_first_wins_and_a_price_in_the_old_one_is_refused(race, currency_race,
                                                                                        monkeypatch, fields_of):
    change, add = currency_race

    changed, added = race(Pause(monkeypatch, SqlProducts, "priced"), change, add)

    assert answers(changed, added) == [(200, None), (422, "validation-error")]
    assert fields_of(added) == ["price.currency"]


def test_a_price_added_first_wins_and_the_currency_change_is_refused(race, currency_race, monkeypatch):
    change, add = currency_race

    added, changed = race(Pause(monkeypatch, SqlProviders, "states"), add, change)

    assert answers(added, changed) == [(201, None), (409, "currency-in-use")]
    assert changed.get_json()["used_by"] == {"services": [added.get_json()["id"]]}


# -- changing a service's booking window while a calendar narrows it ---------------------------


@pytest.fixture
def window_race(catalog, client, other_client, service_body_of):
    """What shortens a service's horizon to 2 days, what adds a calendar needing 30 days' notice."""
    service = catalog.service()
    shorten = lambda: client.put(catalog.url(f"/services/{service['id']}"), headers={"If-Match": '"1"'},
                                 json=service_body_of(service, booking_horizon_days=2))
    narrow = lambda: other_client.post(catalog.url(f"/services/{service['id']}/calendars"),
                                       json={"name": "Surgery", "kind": "standard", "minimum_notice_minutes": 43200})
    return shorten, narrow


def test_a_service_window_change_that_starts_first_wins_and_a_calendar_left_nothing_bookable_is_refused(
        race, window_race, monkeypatch, fields_of):
    shorten, narrow = window_race

    shortened, narrowed = race(Pause(monkeypatch, SqlCalendars, "of_service"), shorten, narrow)

    assert answers(shortened, narrowed) == [(200, None), (422, "validation-error")]
    assert fields_of(narrowed) == ["minimum_notice_minutes"]


def test_a_calendar_added_first_wins_and_a_service_window_leaving_it_nothing_bookable_is_refused(
        race, window_race, monkeypatch, fields_of):
    shorten, narrow = window_race

    narrowed, shortened = race(Pause(monkeypatch, SqlServices, "get"), narrow, shorten)

    assert answers(narrowed, shortened) == [(201, None), (422, "validation-error")]
    assert fields_of(shortened) == ["booking_horizon_days"]


# -- uploading a document at a version another upload is changing -------------------------------


def test_an_upload_that_loses_to_a_concurrent_one_leaves_no_file(race, catalog, client, other_client,
                                                                 document_store_path, monkeypatch):
    service = catalog.service()
    upload = lambda client: lambda: client.post(
        catalog.url(f"/services/{service['id']}/documents?kind=preparation&filename=prepare.pdf"), data=PDF,
        content_type="application/pdf", headers={"If-Match": '"1"'})

    # Both read the service at version 1; on PostgreSQL the second then attaches first.
    answered = race(Pause(monkeypatch, SqlServices, "get"), upload(client), upload(other_client))

    assert sorted(answers(*answered)) == [(201, None), (412, "stale-version")]
    [document] = client.get(catalog.url(f"/services/{service['id']}")).get_json()["documents"]
    assert [path.name for path in document_store_path.rglob("*") if path.is_file()] == [document["id"]]
