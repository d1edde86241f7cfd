"""Real service processes for the runtime's integration tests (see crash_service.py)."""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.devstack import ProcessSpec, Supervisor, free_ports
from clinic_runtime.messaging.outbox import emit
from clinic_runtime.messaging.tables import OutboxState, messaging_metadata, outbox

EVENTS = 1000
BATCH = 20

SERVICE = Path(__file__).with_name("crash_service.py")


def create_schema(database_url: str) -> None:
    spec = importlib.util.spec_from_file_location("crash_service", SERVICE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.create_schema(database_url)


@dataclass
class CrashEnv:
    """A relay process and a consumer process (crash_service.py) under one supervisor."""

    producer_db: str
    consumer_db: str
    supervisor: Supervisor
    specs: dict[str, ProcessSpec] = field(default_factory=dict)
    kills: Counter = field(default_factory=Counter)

    def start(self, *roles: str) -> None:
        for role in roles:
            self.supervisor.start(self.specs[role])
        self.supervisor.wait_ready(READY_TIMEOUT)

    def kill_and_restart(self, role: str, pause: float) -> None:
        self.supervisor.kill(role, signal.SIGKILL)
        self.kills[role] += 1
        time.sleep(pause)
        self.supervisor.restart(role)
        self.supervisor.wait_ready(READY_TIMEOUT)


READY_TIMEOUT = 60


@pytest.fixture
def crash_env(create_database, amqp_url, broker_namespace, tmp_path) -> Iterator[Callable[..., CrashEnv]]:
    supervisor = Supervisor(tmp_path / "logs")

    def build(amqp: str = amqp_url, **extra: str) -> CrashEnv:
        producer_db, consumer_db = create_database("producer"), create_database("consumer")
        create_schema(producer_db)
        create_schema(consumer_db)
        common = {**os.environ, "AMQP_URL": amqp, "BROKER_NAMESPACE": broker_namespace,
                  "OUTBOX_LEASE_SECONDS": "2", "LOG_LEVEL": "WARNING", **extra}
        env = CrashEnv(producer_db, consumer_db, supervisor)
        roles = (("relay", producer_db, {}), ("consumer", consumer_db, {"CONSUMER_DELAY_MS": "1"}))
        for (role, database, more), port in zip(roles, free_ports(len(roles))):
            env.specs[role] = ProcessSpec(
                role, (sys.executable, str(SERVICE), role),
                {**common, **more, "DATABASE_URL": database, "WORKER_PORT": str(port)},
                ready_url=f"http://127.0.0.1:{port}/readyz",
            )
        return env

    try:
        yield build
    finally:
        supervisor.stop_all()


def _clinic_event(slug: str) -> tuple[ClinicUpsertedV1, uuid.UUID]:
    clinic_id = uuid.uuid4()
    return ClinicUpsertedV1(clinic_id=clinic_id, slug=slug, name=slug.title(), timezone="Europe/Bucharest",
                            currency="RON", locale="ro-RO", version=1, updated_at=datetime.now(UTC)), clinic_id


def _commit_events(database_url: str, more_while: Callable[[], bool] = lambda: False) -> set[uuid.UUID]:
    """Commit EVENTS events into the outbox, BATCH per transaction, spread over ~12 s so that
    kills land while events are flowing; then more, BATCH at a time, while `more_while()` holds
    (a slow machine restarts processes slowly: the disruptions must still meet a flow of events)."""
    sessions = make_session_factory(make_engine(database_url))
    ids: set[uuid.UUID] = set()
    start = 0
    while start < EVENTS or more_while():
        with transaction(sessions) as session:
            for n in range(start, start + BATCH):
                event, clinic_id = _clinic_event(f"clinic-{n}")
                ids.add(emit(session, event, clinic_id=clinic_id).id)
        start += BATCH
        time.sleep(0.25)
    return ids


def _keep_killing(env: CrashEnv, role: str, until: threading.Event) -> threading.Thread:
    """SIGKILL `role` at random moments, restarting it each time, until `until` is set."""

    def run() -> None:
        rng = random.Random()
        while not until.wait(rng.uniform(0.2, 1.0)):
            env.kill_and_restart(role, pause=0.3)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_for_all_applied(env: CrashEnv, expected: set[uuid.UUID], timeout: float = 120) -> None:
    consumer_db = make_engine(env.consumer_db)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with consumer_db.connect() as c:
            distinct = c.execute(sa.text("SELECT count(DISTINCT event_id) FROM applied_events")).scalar()
        if distinct >= len(expected):
            break
        time.sleep(0.5)
    # Give a late duplicate (a relay that re-publishes after its lease ran out) time to show up.
    time.sleep(3)
    with consumer_db.connect() as c:
        applied = [row[0] for row in c.execute(sa.text("SELECT event_id FROM applied_events"))]
    consumer_db.dispose()
    producer_db = make_engine(env.producer_db)
    with producer_db.connect() as c:
        unpublished = c.execute(sa.select(sa.func.count()).select_from(outbox).where(outbox.c.state != OutboxState.PUBLISHED)).scalar()
    producer_db.dispose()
    assert set(applied) == expected, f"{len(expected - set(applied))} events never applied"
    assert len(applied) == len(expected), f"{len(applied) - len(set(applied))} events applied more than once"
    assert unpublished == 0




def _wait_until(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _applied_slugs(database_url: str) -> list[str]:
    """The slugs of the events the consumer applied, one per application (crash_service.py)."""
    engine = make_engine(database_url)
    with engine.connect() as c:
        slugs = [row[0] for row in c.execute(sa.text("SELECT slug FROM applied_events"))]
    engine.dispose()
    return slugs


@contextmanager
def _connections_refused(admin_url: str, database_url: str) -> Iterator[None]:
    """The database refuses new connections and drops those it has, as in a restart or failover."""
    name = sa.make_url(database_url).database
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                  {"name": name})
    try:
        yield
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


def _held_deliveries(env: CrashEnv) -> float:
    """Deliveries the running consumer has held for its database so far; none while it starts."""
    port = env.specs["consumer"].env["WORKER_PORT"]
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            families = text_string_to_metric_families(response.read().decode())
    except (urllib.error.URLError, ConnectionError):
        return 0.0
    return sum(sample.value for family in families for sample in family.samples
               if sample.name == "clinic_events_held_for_database_total")


# Helpers as fixtures: with --import-mode=importlib, test modules cannot import this conftest.
@pytest.fixture
def clinic_event():
    return _clinic_event


@pytest.fixture
def commit_events():
    return _commit_events


@pytest.fixture
def keep_killing():
    return _keep_killing


@pytest.fixture
def wait_for_all_applied():
    return _wait_for_all_applied


@pytest.fixture
def wait_until():
    return _wait_until


@pytest.fixture
def applied_slugs():
    return _applied_slugs


@pytest.fixture
def connections_refused():
    return _connections_refused


@pytest.fixture
def held_deliveries():
    return _held_deliveries


RABBITMQCTL = os.environ.get("RABBITMQCTL", "rabbitmqctl")


@pytest.fixture
def isolated_vhost(amqp_url) -> Iterator[tuple[str, Callable[[], None]]]:
    """A vhost of this test alone, so dropping its connections disturbs nothing else."""
    if shutil.which(RABBITMQCTL.split()[0]) is None:
        message = f"{RABBITMQCTL} is needed to drop broker connections (set RABBITMQCTL)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    vhost = f"t-{uuid.uuid4().hex[:10]}"
    ctl = RABBITMQCTL.split()
    subprocess.run([*ctl, "-q", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run([*ctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True, capture_output=True)

    def drop_connections() -> None:
        subprocess.run([*ctl, "-q", "close_all_connections", "--vhost", vhost, "crash test"], check=True, capture_output=True)

    base = amqp_url.rstrip("/")
    try:
        yield f"{base}/{vhost}", drop_connections
    finally:
        subprocess.run([*ctl, "-q", "delete_vhost", vhost], capture_output=True)


@pytest.fixture
def engine(database_url):
    """The runtime's own tables (outbox, inbox, idempotency keys) on each backend."""
    engine = make_engine(database_url)
    messaging_metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)
