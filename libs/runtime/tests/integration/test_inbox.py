"""The inbox on both backends: a batch records in one statement the events it sees first, a
redelivery or a duplicate inside the batch takes effect once, each consumer keeps its own, and
events applied before the retention are forgotten."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.db import transaction, utcnow
from clinic_runtime.messaging.consumers import EventHandlers, apply_batch
from clinic_runtime.messaging.inbox import first_deliveries, purge_inbox
from clinic_runtime.messaging.tables import inbox

pytestmark = pytest.mark.integration


def envelope(slug: str = "c") -> Envelope:
    clinic_id = uuid.uuid4()
    event = ClinicUpsertedV1(clinic_id=clinic_id, slug=slug, name="C", timezone="UTC", currency="EUR", locale="en",
                             version=1, updated_at=datetime.now(UTC))
    return Envelope.wrap(event, clinic_id=clinic_id, correlation_id="test")


def recorded(sessions, consumer: str) -> dict[uuid.UUID, str]:
    with sessions() as session:
        return dict(session.execute(sa.select(inbox.c.event_id, inbox.c.event_type)
                                    .where(inbox.c.consumer == consumer)).all())


def applied_days_ago(sessions, days: float, *envelopes: Envelope) -> None:
    with transaction(sessions) as session:
        session.execute(sa.update(inbox).where(inbox.c.event_id.in_([e.id for e in envelopes]))
                        .values(processed_at=utcnow() - timedelta(days=days)))


def test_a_batch_records_the_events_seen_first_and_leaves_out_redeliveries(sessions):
    first, second, third = envelope(), envelope(), envelope()
    with transaction(sessions) as session:
        assert first_deliveries(session, [first], "billing") == {first.id}
    with transaction(sessions) as session:
        assert first_deliveries(session, [third, first, second, third], "billing") == {second.id, third.id}
    with transaction(sessions) as session:
        assert first_deliveries(session, [first, second], "notifications") == {first.id, second.id}
    assert recorded(sessions, "billing") == {e.id: "catalog.clinic.upserted.v1" for e in (first, second, third)}
    assert set(recorded(sessions, "notifications")) == {first.id, second.id}


def test_a_batch_applies_each_event_once_and_an_event_that_fails_alone(sessions):
    handlers = EventHandlers("test-consumer")
    applied: list[str] = []

    @handlers.on(ClinicUpsertedV1)
    def on_clinic(_session: Session, event: ClinicUpsertedV1, _envelope: Envelope) -> None:
        if event.slug == "broken":
            raise RuntimeError("cannot apply")
        applied.append(event.slug)

    good, broken, done = envelope("good"), envelope("broken"), envelope("done")
    assert apply_batch(handlers, sessions, [(done, handlers.payload(done))]) == [True]
    outcomes = apply_batch(handlers, sessions, [(e, handlers.payload(e)) for e in (good, broken, good, done)])
    assert outcomes[0] is True and isinstance(outcomes[1], RuntimeError) and outcomes[2:] == [False, False]
    assert applied == ["done", "good", "good"], "the failed batch's effects rolled back; alone, good applied once"
    assert set(recorded(sessions, "test-consumer")) == {good.id, done.id}


def test_events_applied_before_the_retention_are_forgotten_and_later_ones_still_skipped(engine, sessions):
    forgotten, remembered = envelope("forgotten"), envelope("remembered")
    with transaction(sessions) as session:
        first_deliveries(session, [forgotten, remembered], "billing")
        first_deliveries(session, [forgotten], "notifications")
    applied_days_ago(sessions, 31, forgotten)
    applied_days_ago(sessions, 29, remembered)

    assert purge_inbox(engine, timedelta(days=30)) == 2

    assert set(recorded(sessions, "billing")) == {remembered.id}
    assert recorded(sessions, "notifications") == {}
    with transaction(sessions) as session:
        assert first_deliveries(session, [remembered], "billing") == set(), "a redelivery within retention is skipped"


def test_a_purge_forgets_at_most_one_batch_of_events(engine, sessions):
    old = [envelope(f"old-{n}") for n in range(5)]
    with transaction(sessions) as session:
        first_deliveries(session, old, "billing")
    applied_days_ago(sessions, 31, *old)

    assert [purge_inbox(engine, timedelta(days=30), limit=2) for _ in range(4)] == [2, 2, 1, 0]
    assert recorded(sessions, "billing") == {}
