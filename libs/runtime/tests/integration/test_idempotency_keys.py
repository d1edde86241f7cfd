"""Idempotency keys on both backends: within their retention a key replays the first response;
a purge deletes the keys (and the responses they kept) past it, a bounded batch at a time, and a
request with a purged key is a new request."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import count

import pytest
import sqlalchemy as sa
from flask import Blueprint

from clinic_runtime.db import transaction, utcnow
from clinic_runtime.messaging.tables import idempotency_keys
from clinic_runtime.settings import ServiceSettings
from clinic_runtime.web import create_web_app, idempotent, purge_idempotency_keys

pytestmark = pytest.mark.integration

RETENTION = timedelta(hours=24)


@pytest.fixture
def client(engine):
    booked = count(1)
    blueprint = Blueprint("bookings", __name__)

    @blueprint.post("/bookings")
    @idempotent
    def book():
        return {"booking": next(booked), "access_token": "secret"}, 201

    return create_web_app(ServiceSettings(service_name="retention", http_port=1), engine, [blueprint]).test_client()


def book(client, key: str):
    return client.post("/bookings", json={"slot": "09:00"}, headers={"Idempotency-Key": key})


def stored_keys(sessions) -> set[str]:
    with sessions() as session:
        return set(session.execute(sa.select(idempotency_keys.c.key)).scalars())


def stored_hours_ago(sessions, hours: float, *keys: str) -> None:
    with transaction(sessions) as session:
        session.execute(sa.update(idempotency_keys).where(idempotency_keys.c.key.in_(keys))
                        .values(created_at=utcnow() - timedelta(hours=hours)))


def store_keys(sessions, keys: list[str], *, hours_ago: float) -> None:
    with transaction(sessions) as session:
        session.execute(sa.insert(idempotency_keys), [
            {"scope": "caller", "key": key, "request_fingerprint": "f" * 64, "status_code": 201,
             "response_body": "{}", "response_headers": "{}", "created_at": utcnow() - timedelta(hours=hours_ago)}
            for key in keys
        ])


def test_a_key_within_its_retention_still_replays_after_a_purge(engine, sessions, client):
    first = book(client, "booking-1")
    stored_hours_ago(sessions, 23, "booking-1")

    assert purge_idempotency_keys(engine, RETENTION) == 0

    replay = book(client, "booking-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first.get_json() == {"booking": 1, "access_token": "secret"}


def test_keys_past_retention_are_deleted_with_their_responses_and_newer_ones_kept(engine, sessions, client):
    book(client, "booking-old")
    book(client, "booking-new")
    stored_hours_ago(sessions, 25, "booking-old")
    stored_hours_ago(sessions, 23, "booking-new")

    assert purge_idempotency_keys(engine, RETENTION) == 1

    assert stored_keys(sessions) == {"booking-new"}
    again = book(client, "booking-old")
    assert "Idempotent-Replayed" not in again.headers, "a purged key is a new request"
    assert again.get_json() == {"booking": 3, "access_token": "secret"}
    with sessions() as session:
        kept = session.execute(sa.select(idempotency_keys.c.response_body)
                               .where(idempotency_keys.c.key == "booking-old")).scalar_one()
    assert json.loads(kept)["booking"] == 3, "the key now replays the new request's response"


def test_a_purge_deletes_at_most_one_batch_of_keys(engine, sessions):
    store_keys(sessions, [f"old-{n}" for n in range(5)], hours_ago=25)

    assert [purge_idempotency_keys(engine, RETENTION, limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert stored_keys(sessions) == set()


def test_a_key_sent_again_with_another_query_is_refused_and_with_the_same_one_replays(client):
    """A document's kind and file name travel in the query: another query is another request."""
    first = client.post("/bookings?kind=consent", json={"slot": "09:00"}, headers={"Idempotency-Key": "q-1"})
    same = client.post("/bookings?kind=consent", json={"slot": "09:00"}, headers={"Idempotency-Key": "q-1"})
    other = client.post("/bookings?kind=information", json={"slot": "09:00"}, headers={"Idempotency-Key": "q-1"})

    assert (first.status_code, same.status_code) == (201, 201)
    assert same.get_json() == first.get_json() and same.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.get_json()["type"].rsplit("/", 1)[1]) == (422, "idempotency-key-reused")
