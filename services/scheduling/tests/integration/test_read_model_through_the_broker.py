"""A change in catalog reaches scheduling's read model through the real broker within a second,
an archive included: catalog's worker relays its outbox to RabbitMQ and scheduling's worker
applies the events, each a real process on its own PostgreSQL database."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from clinic_contracts.events import catalog as events
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.devstack import ProcessSpec, Supervisor, free_ports
from clinic_runtime.messaging.outbox import emit
from clinic_runtime.migrations import upgrade
from scheduling.adapters.clinic_directory import SqlClinicDirectory
from scheduling.adapters.offerings import SqlProviderDirectory, SqlServiceDirectory
from scheduling.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration

READY_TIMEOUT = 60.0
PROPAGATION_LIMIT = 1.0  # seconds from catalog's commit to scheduling's committed read model
BIN = Path(sys.executable).parent  # the services' console scripts


@dataclass
class Pipeline:
    supervisor: Supervisor
    catalog: sessionmaker[Session]
    scheduling: sessionmaker[Session]

    def commit(self, event: events.Event) -> float:
        """Emit `event` in a catalog transaction, as catalog's use cases do; when it started."""
        started = time.monotonic()
        with transaction(self.catalog) as session:
            emit(session, event, clinic_id=event.clinic_id)
        return started

    def seconds_until(self, held: Callable[[Session], bool], started: float, timeout: float) -> float:
        """How long after `started` scheduling's read model showed what `held` looks for."""
        while True:
            with self.scheduling() as session:
                if held(session):
                    return time.monotonic() - started
            if time.monotonic() - started > timeout:
                self.supervisor.check()
                logs = "\n".join(f"--- {name}\n{self.supervisor.log_tail(name)}" for name in self.supervisor.names)
                raise AssertionError(f"not in scheduling's read model after {timeout} s\n{logs}")
            time.sleep(0.005)


@pytest.fixture
def pipeline(create_database, amqp_url, broker_namespace, tmp_path) -> Iterator[Pipeline]:
    catalog_db, scheduling_db = create_database("catalog"), create_database("scheduling")
    upgrade(MIGRATIONS, scheduling_db)
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "HTTP_PORT", "WORKER_PORT", "PROMETHEUS_MULTIPROC_DIR")}
    env |= {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace, "WORKER_HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING"}
    supervisor = Supervisor(tmp_path / "logs")
    engines = [make_engine(catalog_db), make_engine(scheduling_db)]
    try:
        supervisor.run([ProcessSpec("catalog-migrate", (str(BIN / "catalog-migrate"),),
                                    {**env, "DATABASE_URL": catalog_db})], READY_TIMEOUT)
        for (service, database), port in zip((("catalog", catalog_db), ("scheduling", scheduling_db)), free_ports(2)):
            supervisor.start(ProcessSpec(
                f"{service}-worker", (str(BIN / f"{service}-worker"),),
                {**env, "DATABASE_URL": database, "WORKER_PORT": str(port)},
                ready_url=f"http://127.0.0.1:{port}/readyz",
            ))
        supervisor.wait_ready(READY_TIMEOUT)
        yield Pipeline(supervisor, *(make_session_factory(engine) for engine in engines))
    finally:
        supervisor.stop_all()
        for engine in engines:
            engine.dispose()


def test_a_service_and_a_specialist_and_their_archives_reach_scheduling_within_a_second(
    pipeline, provider_event, service_event
):
    # The clinic first, as in life; it also warms both workers' connections, so what is timed
    # below is the pipeline's steady latency, not a cold start.
    clinic = events.ClinicUpsertedV1(
        clinic_id=service_event().clinic_id, slug="dental-care-cluj", name="Dental Care Cluj",
        timezone="Europe/Bucharest", currency="RON", locale="ro-RO", version=1, updated_at=datetime.now(UTC),
    )
    pipeline.seconds_until(lambda s: SqlClinicDirectory(s).get(clinic.clinic_id) is not None,
                           pipeline.commit(clinic), timeout=30)

    def service_held(version: int, archived: bool) -> Callable[[Session], bool]:
        def held(session: Session) -> bool:
            snapshot = SqlServiceDirectory(session).get(clinic.clinic_id, service_event().service_id)
            return snapshot is not None and (snapshot.version, snapshot.archived) == (version, archived)
        return held

    def provider_held(version: int, archived: bool) -> Callable[[Session], bool]:
        def held(session: Session) -> bool:
            snapshot = SqlProviderDirectory(session).get(clinic.clinic_id, provider_event().provider_id)
            return snapshot is not None and (snapshot.version, snapshot.archived) == (version, archived)
        return held

    latencies = {
        "provider upserted": pipeline.seconds_until(provider_held(1, False), pipeline.commit(provider_event(1)),
                                                    timeout=10),
        "service upserted": pipeline.seconds_until(service_held(1, False), pipeline.commit(service_event(1)),
                                                   timeout=10),
        "service archived": pipeline.seconds_until(service_held(2, True),
                                                   pipeline.commit(service_event(2, archived=True)), timeout=10),
        "provider archived": pipeline.seconds_until(provider_held(2, True),
                                                    pipeline.commit(provider_event(2, archived=True)), timeout=10),
    }

    assert {change: seconds for change, seconds in latencies.items() if seconds > PROPAGATION_LIMIT} == {}, latencies
