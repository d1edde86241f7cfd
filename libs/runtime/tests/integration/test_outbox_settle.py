"""Settling a batch on both backends: acknowledged rows are published together, and every failed
row goes back with its own backoff and error."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.messaging.outbox import OutboxStore, emit, retry_delay
from clinic_runtime.messaging.tables import OutboxState, messaging_metadata, outbox

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    messaging_metadata.create_all(engine)
    yield engine
    engine.dispose()


def add_events(sessions, count: int) -> None:
    with transaction(sessions) as session:
        for n in range(count):
            clinic_id = uuid.uuid4()
            emit(session, ClinicUpsertedV1(clinic_id=clinic_id, slug=f"c-{n}", name="C", timezone="UTC",
                                           currency="EUR", locale="en", version=1, updated_at=datetime.now(UTC)),
                 clinic_id=clinic_id)


def test_each_failed_row_goes_back_with_its_own_backoff_and_error(engine):
    sessions = make_session_factory(engine)
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
