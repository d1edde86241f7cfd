"""The booking journey's scheduling half across real processes: a hold booked over the API, then
billing's `payment.succeeded` through RabbitMQ to scheduling's worker, which marks it paid, makes
the video meeting (sandbox) and publishes `appointment.confirmed` to the broker; a hold nobody
pays is expired by the same worker's timer. PostgreSQL."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from clinic_contracts.events import billing
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.devstack import ProcessSpec, Supervisor, free_ports
from clinic_runtime.messaging.outbox import emit
from clinic_runtime.messaging.tables import outbox
from scheduling.adapters.orm import appointments

from .conftest import ANA, CLINIC, at, next_monday

pytestmark = pytest.mark.integration
READY_TIMEOUT = 60.0
BIN = Path(sys.executable).parent


@pytest.fixture
def database_url(postgres_url):
    """Real processes and the test share one PostgreSQL database."""
    return postgres_url


@pytest.fixture
def worker(database_url, create_database, amqp_url, broker_namespace, tmp_path, client) -> Iterator[Callable]:
    """Scheduling's worker, and a relay (catalog's worker on a database of its own) that
    publishes what `relay` puts in its outbox, as billing's worker will."""
    relay_db = create_database("relay")
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "HTTP_PORT", "WORKER_PORT", "PROMETHEUS_MULTIPROC_DIR")}
    env |= {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace, "WORKER_HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING", "VIDEO_PROVIDER": "sandbox", "VIDEO_SANDBOX_BASE_URL": "https://video.test"}
    supervisor = Supervisor(tmp_path / "logs")
    relay_engine = make_engine(relay_db)
    try:
        supervisor.run([ProcessSpec("catalog-migrate", (str(BIN / "catalog-migrate"),),
                                    {**env, "DATABASE_URL": relay_db})], READY_TIMEOUT)
        for (name, database), port in zip((("scheduling", database_url), ("catalog", relay_db)), free_ports(2)):
            supervisor.start(ProcessSpec(f"{name}-worker", (str(BIN / f"{name}-worker"),),
                                         {**env, "DATABASE_URL": database, "WORKER_PORT": str(port)},
                                         ready_url=f"http://127.0.0.1:{port}/readyz"))
        supervisor.wait_ready(READY_TIMEOUT)

        def relay(event) -> None:
            with transaction(make_session_factory(relay_engine)) as session:
                emit(session, event, clinic_id=event.clinic_id)

        relay.supervisor = supervisor
        yield relay
    finally:
        supervisor.stop_all()
        relay_engine.dispose()


def wait_for(sessions, found: Callable[[Session], bool], supervisor, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as session:
            if found(session):
                return
        time.sleep(0.05)
    supervisor.check()
    logs = "\n".join(f"--- {name}\n{supervisor.log_tail(name)}" for name in supervisor.names)
    raise AssertionError(f"not seen within {timeout} s\n{logs}")


def published_types(session: Session) -> set[str]:
    return set(session.execute(sa.select(outbox.c.event_type).where(outbox.c.published_at.is_not(None))).scalars())


def test_a_payment_through_the_broker_confirms_the_appointment_with_its_meeting(book, worker, sessions):
    appointment = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()
    payment = billing.PaymentSucceededV1(
        clinic_id=uuid.UUID(CLINIC), payment_id=uuid.uuid4(), appointment_id=uuid.UUID(appointment["appointment_id"]),
        amount={"amount_minor": 20000, "currency": "RON"}, processor="sandbox", processor_payment_id="sbx_1",
        succeeded_at=datetime.now(UTC))

    worker(payment)

    wait_for(sessions, lambda s: "scheduling.appointment.confirmed.v1" in published_types(s), worker.supervisor)
    with sessions() as session:
        row = session.execute(sa.select(appointments)).mappings().one()
    assert row["status"] == "paid" and row["payment_id"] == payment.payment_id
    assert row["video_join_url"] == f"https://video.test/j/sbx-{uuid.UUID(appointment['appointment_id']).hex}"


def test_the_worker_expires_an_abandoned_hold(book, worker, sessions):
    appointment = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()

    with sessions.begin() as session:
        session.execute(sa.update(appointments).values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    wait_for(sessions, lambda s: "scheduling.appointment.expired.v1" in published_types(s), worker.supervisor)
    with sessions() as session:
        assert session.execute(sa.select(appointments.c.status).where(
            appointments.c.appointment_id == uuid.UUID(appointment["appointment_id"]))).scalar_one() == "expired"
