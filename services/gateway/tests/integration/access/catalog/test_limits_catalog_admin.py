"""The clinic's plan caps its specialists and locations at the gateway: adding one more than the
plan allows is answered with entitlements' `limit-reached` problem, unchanged, and catalog is never
asked. Entitlements counts what catalog has from catalog's events; here they are relayed from
catalog's outbox into entitlements' consumer group as its worker would."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from clinic_contracts import Envelope
from clinic_runtime.messaging.consumers import apply_delivered
from clinic_runtime.messaging.tables import outbox
from entitlements.entrypoints.consumers import handlers

pytestmark = pytest.mark.integration

PROBLEMS = "https://problems.clinic-platform.dev/"


class ClinicPlan:
    """The offer's clinic subscribed, through entitlements' own API, to a base plan of its own
    (the plan catalog is the platform's: keys are unique per test)."""

    def __init__(self, offer, **limits: int) -> None:
        self.offer = offer
        self.entitlements = offer.platform.entitlements.app.test_client()
        self.key = f"solo-{uuid.uuid4().hex[:8]}"
        self.name = "Solo practice"
        self.publish(self.key, "base", self.name, limits)
        subscribed = self.entitlements.post(f"/clinics/{offer.clinic.id}/subscription", json={"plan_key": self.key})
        assert subscribed.status_code == 201, subscribed.get_data(as_text=True)

    def publish(self, key: str, kind: str, name: str, limits: dict[str, int]) -> None:
        published = self.entitlements.post("/plans", json={
            "key": key, "kind": kind, "name": name, "limits": limits, "period": "month",
            "price": {"amount_minor": 4900, "currency": "EUR"}})
        assert published.status_code == 201, published.get_data(as_text=True)

    def add_on(self, **limits: int) -> tuple[str, str]:
        """A new add-on held by the clinic: its item id and the subscription's ETag."""
        key = f"extra-{uuid.uuid4().hex[:8]}"
        self.publish(key, "add_on", "Extra clinician licence", limits)
        added = self.entitlements.post(f"/clinics/{self.offer.clinic.id}/subscription/items", json={"plan_key": key})
        assert added.status_code == 201, added.get_data(as_text=True)
        return added.get_json()["items"][-1]["id"], added.headers["ETag"]

    def cancel(self, item_id: str, etag: str) -> None:
        cancelled = self.entitlements.post(f"/clinics/{self.offer.clinic.id}/subscription/items/{item_id}/cancel",
                                           headers={"If-Match": etag})
        assert cancelled.status_code == 200, cancelled.get_data(as_text=True)

    def catalog_events_arrive(self) -> None:
        """Deliver catalog's events about the clinic to entitlements (the inbox drops repeats)."""
        platform = self.offer.platform
        catalog_engine = platform.catalog.app.extensions["sessions"].kw["bind"]
        with catalog_engine.connect() as connection:
            bodies = connection.execute(sa.select(outbox.c.body).where(outbox.c.clinic_id == self.offer.clinic.id)
                                        .order_by(outbox.c.position)).scalars().all()
        sessions = platform.entitlements.app.extensions["sessions"]
        for body in bodies:
            envelope = Envelope.model_validate_json(body)
            if envelope.type in handlers.event_types:
                apply_delivered(handlers, sessions, envelope)


def send(offer, method: str, path: str, **keywords):
    headers = {**offer.clinic.admin.headers, **keywords.pop("headers", {})}
    return offer.platform.client.open(offer.path + path, method=method, headers=headers, **keywords)


def specialist(name: str) -> dict[str, str]:
    return {"name": name, "email": f"{name.split()[-1].lower()}@physio.example", "timezone": "Europe/Bucharest"}


def catalog_creates(offer, entry: str) -> int:
    return offer.platform.catalog.count("POST", f"/clinics/{offer.clinic.id}{entry}")


def test_a_specialist_beyond_the_plans_limit_is_refused_with_entitlements_problem_before_catalog(offer, problem_of):
    plan = ClinicPlan(offer, specialists=1)
    assert send(offer, "POST", "/providers", json=specialist("Dr. Ana Popescu")).status_code == 201
    plan.catalog_events_arrive()

    refused = send(offer, "POST", "/providers", json=specialist("Dr. Dan Marin"))

    body = problem_of(refused)
    assert refused.status_code == 409
    assert body["type"] == PROBLEMS + "limit-reached"
    assert (body["limit"], body["allowed"], body["used"], body["plan"]) == (
        "specialists", 1, 1, {"key": plan.key, "name": "Solo practice"})
    assert catalog_creates(offer, "/providers") == 1
    assert len(send(offer, "GET", "/providers").get_json()["providers"]) == 1


def test_a_location_beyond_the_plans_limit_is_refused_before_catalog(offer, problem_of):
    plan = ClinicPlan(offer, locations=1)
    room = {"name": "Iasi centre", "address": "Strada Lapusneanu 10", "timezone": "Europe/Bucharest"}
    etag = send(offer, "GET", "/profile").headers["ETag"]
    added = send(offer, "POST", "/locations", json=room, headers={"If-Match": etag})
    assert added.status_code == 201, added.get_data(as_text=True)
    plan.catalog_events_arrive()
    etag = send(offer, "GET", "/profile").headers["ETag"]

    refused = send(offer, "POST", "/locations", json={**room, "name": "Iasi old town"}, headers={"If-Match": etag})

    assert (refused.status_code, problem_of(refused)["limit"]) == (409, "locations")
    assert catalog_creates(offer, "/locations") == 1


def test_a_retried_create_that_filled_the_last_place_replays_its_first_answer(offer):
    plan = ClinicPlan(offer, specialists=1)
    key = {"Idempotency-Key": f"ana-{uuid.uuid4().hex}"}
    first = send(offer, "POST", "/providers", json=specialist("Dr. Ana Popescu"), headers=key)
    plan.catalog_events_arrive()

    again = send(offer, "POST", "/providers", json=specialist("Dr. Ana Popescu"), headers=key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert catalog_creates(offer, "/providers") == 1


def test_dropping_an_add_on_refuses_new_specialists_and_keeps_every_one_the_clinic_has(offer, problem_of):
    plan = ClinicPlan(offer, specialists=1)
    item_id, etag = plan.add_on(specialists=1)
    for name in ("Dr. Ana Popescu", "Dr. Dan Marin"):
        assert send(offer, "POST", "/providers", json=specialist(name)).status_code == 201
    plan.catalog_events_arrive()

    plan.cancel(item_id, etag)
    refused = send(offer, "POST", "/providers", json=specialist("Dr. Ioana Pop"))

    assert (refused.status_code, problem_of(refused)["used"], problem_of(refused)["allowed"]) == (409, 2, 1)
    assert [p["name"] for p in send(offer, "GET", "/providers").get_json()["providers"]] == [
        "Dr. Ana Popescu", "Dr. Dan Marin"]


def test_a_clinic_on_no_plan_yet_adds_specialists_uncapped(offer):
    for name in ("Dr. Ana Popescu", "Dr. Dan Marin"):
        assert send(offer, "POST", "/providers", json=specialist(name)).status_code == 201

    assert catalog_creates(offer, "/providers") == 2
