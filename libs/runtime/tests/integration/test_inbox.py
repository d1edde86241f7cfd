"""The inbox on both backends: a batch records in one statement the events it sees first, a
redelivery or a duplicate inside the batch takes effect once, and each consumer keeps its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.db import transaction
from clinic_runtime.messaging.consumers import EventHandlers, apply_batch
from clinic_runtime.messaging.inbox import first_deliveries
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
