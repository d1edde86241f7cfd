"""The outbox's state machine on both backends: pending → in_flight → published, leases, backoff."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.db import transaction
from clinic_runtime.messaging.outbox import OutboxStore, emit, retry_delay
from clinic_runtime.messaging.tables import OutboxState, outbox

pytestmark = pytest.mark.integration


def add_events(sessions, count: int) -> list[uuid.UUID]:
    ids = []
    with transaction(sessions) as session:
        for n in range(count):
            clinic_id = uuid.uuid4()
            event = ClinicUpsertedV1(clinic_id=clinic_id, slug=f"c-{n}", name="C", timezone="UTC", currency="EUR",
                                     locale="en", version=1, updated_at=datetime.now(UTC))
            ids.append(emit(session, event, clinic_id=clinic_id).id)
    return ids


def states(sessions) -> dict[str, int]:
    with sessions() as session:
        return dict(session.execute(sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state)).all())


def test_events_are_claimed_oldest_first_and_carry_their_envelope(engine, sessions):
    ids = add_events(sessions, 5)
    claimed = OutboxStore(engine, lease=timedelta(seconds=30)).claim(3)
    assert [c.event_id for c in claimed] == ids[:3]
    assert all(c.attempts == 1 for c in claimed)
    envelope = Envelope.model_validate_json(claimed[0].body)
    assert envelope.id == ids[0] and envelope.type == "catalog.clinic.upserted.v1"
    assert states(sessions) == {OutboxState.IN_FLIGHT: 3, OutboxState.PENDING: 2}


def test_an_event_rolled_back_with_its_transaction_is_never_published(engine, sessions):
    with pytest.raises(RuntimeError):
        with transaction(sessions) as session:
            event = ClinicUpsertedV1(clinic_id=uuid.uuid4(), slug="x", name="X", timezone="UTC", currency="EUR",
                                     locale="en", version=1, updated_at=datetime.now(UTC))
            emit(session, event, clinic_id=event.clinic_id)
            raise RuntimeError("the business change failed")
    assert OutboxStore(engine, lease=timedelta(seconds=30)).claim(10) == []


def test_claimed_events_are_not_claimed_again_while_their_lease_holds(engine, sessions):
    add_events(sessions, 3)
    store = OutboxStore(engine, lease=timedelta(seconds=30))
    assert len(store.claim(10)) == 3
    assert store.claim(10) == []


def test_an_event_whose_relay_died_is_claimed_again_after_the_lease(engine, sessions):
    add_events(sessions, 2)
    OutboxStore(engine, lease=timedelta(seconds=-1)).claim(10)
    again = OutboxStore(engine, lease=timedelta(seconds=30)).claim(10)
    assert len(again) == 2 and all(c.attempts == 2 for c in again)


def test_settling_marks_acknowledged_events_published_and_backs_off_failed_ones(engine, sessions):
    add_events(sessions, 2)
    store = OutboxStore(engine, lease=timedelta(seconds=30))
    first, second = store.claim(10)
    store.settle([first.position], {second.position: (second.attempts, "PublishError: NO_ROUTE")})
    assert states(sessions) == {OutboxState.PUBLISHED: 1, OutboxState.PENDING: 1}
    assert store.claim(10) == [], "a failed event waits for its backoff"
    with sessions() as session:
        row = session.execute(sa.select(outbox).where(outbox.c.position == second.position)).one()
    assert row.last_error == "PublishError: NO_ROUTE"
    assert row.available_at > datetime.now(UTC)
    assert store.backlog().unpublished == 1


def test_each_failed_row_goes_back_with_its_own_backoff_and_error(engine, sessions):
    add_events(sessions, 4)
    store = OutboxStore(engine, lease=timedelta(seconds=30))
    first, second, third, fourth = store.claim(10)
    long_error = "TimeoutError: " + "x" * 3000
    before = datetime.now(UTC)
    store.settle([first.position, third.position],
                 {second.position: (1, "PublishError: NO_ROUTE"), fourth.position: (4, long_error)})
    with sessions() as session:
        rows = {row.position: row for row in session.execute(sa.select(outbox))}
    assert {p for p, row in rows.items() if row.state == OutboxState.PUBLISHED} == {first.position, third.position}
    assert all(rows[p].published_at >= before and rows[p].lease_expires_at is None
               for p in (first.position, third.position))
    for event, attempts, error in ((second, 1, "PublishError: NO_ROUTE"), (fourth, 4, long_error[:2000])):
        row = rows[event.position]
        assert row.state == OutboxState.PENDING and row.lease_expires_at is None and row.last_error == error
        assert before + retry_delay(attempts) <= row.available_at <= datetime.now(UTC) + retry_delay(attempts)


def test_concurrent_relays_never_claim_the_same_event(engine, sessions):
    add_events(sessions, 400)
    store = OutboxStore(engine, lease=timedelta(seconds=30))
    claims: list[list[uuid.UUID]] = []
    barrier = threading.Barrier(4)

    def relay() -> None:
        barrier.wait()
        mine = []
        while batch := store.claim(25):
            mine.extend(c.event_id for c in batch)
        claims.append(mine)

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [event_id for mine in claims for event_id in mine]
    assert len(every) == 400
    assert len(set(every)) == 400


def test_published_events_past_retention_are_purged(engine, sessions):
    add_events(sessions, 3)
    store = OutboxStore(engine, lease=timedelta(seconds=30))
    store.settle([c.position for c in store.claim(10)], {})
    assert store.purge_published(timedelta(days=7)) == 0
    assert store.purge_published(timedelta(seconds=-1)) == 3
    assert states(sessions) == {}
