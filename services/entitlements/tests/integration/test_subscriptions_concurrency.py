"""Concurrent changes to one subscription, on PostgreSQL and SQLite: the locked subscription row,
not luck, keeps a clinic from holding the same add-on twice."""

from __future__ import annotations

import threading

import pytest

from clinic_contracts.events.entitlements import SubscriptionChangedV1

pytestmark = pytest.mark.integration


def test_many_simultaneous_requests_for_the_same_add_on_add_it_once(app, client, clinic_id, stored):
    client.post("/plans", json={"key": "pro", "kind": "base", "name": "Pro", "limits": {"patients": 1000},
                                "price": {"amount_minor": 49000, "currency": "RON"}, "period": "month"})
    client.post("/plans", json={"key": "telerehab-pack", "kind": "add_on", "name": "Telerehab Pack",
                                "features": ["telerehab"], "price": {"amount_minor": 29000, "currency": "RON"},
                                "period": "month"})
    assert client.post(f"/clinics/{clinic_id}/subscription", json={"plan_key": "pro"}).status_code == 201
    requests = 8
    start = threading.Barrier(requests)
    statuses: list[int] = []

    def add() -> None:
        racer = app.test_client()
        start.wait()
        statuses.append(racer.post(f"/clinics/{clinic_id}/subscription/items",
                                   json={"plan_key": "telerehab-pack"}).status_code)

    threads = [threading.Thread(target=add) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(statuses) == [201] + [422] * (requests - 1)
    assert stored.count("subscription_items") == 2
    assert stored.event_types().count(SubscriptionChangedV1.event_type) == 2  # started, then the one add
    assert client.get(f"/clinics/{clinic_id}/subscription").headers["ETag"] == '"2"'
