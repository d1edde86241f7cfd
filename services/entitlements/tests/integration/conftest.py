"""Entitlements's web app on its real database (PostgreSQL and SQLite, via the root `database_url`).

Each test gets a freshly migrated database; the app is built exactly as in production
(`create_app()` reading `DATABASE_URL`). The broker points at a closed port: the web process
never talks to it except for the informational readiness check.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from clinic_contracts import Envelope, Event
from clinic_contracts.events.scheduling import PatientUpsertedV1
from clinic_runtime.db import make_engine, make_session_factory, utcnow
from clinic_runtime.messaging.consumers import apply_delivered
from clinic_runtime.messaging.tables import outbox
from clinic_runtime.migrations import upgrade
from entitlements.adapters.orm import access_audit
from entitlements.entrypoints.consumers import handlers
from entitlements.entrypoints.migrate import MIGRATIONS
from entitlements.entrypoints.web import create_app

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"
PROBLEMS = "https://problems.clinic-platform.dev/"
TABLES = ("roles", "role_assignments", "access_audit", "outbox", "idempotency_keys")


@pytest.fixture
def entitlements_environment(monkeypatch) -> Callable[[str], None]:
    """Point the service's settings at `url` (and at no broker, no multiprocess metrics)."""

    def point_at(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("AMQP_URL", UNREACHABLE_BROKER)
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    return point_at


@pytest.fixture
def entitlements_database(database_url: str, entitlements_environment) -> str:
    entitlements_environment(database_url)
    upgrade(MIGRATIONS, database_url)
    return database_url


@pytest.fixture
def build_app(entitlements_environment) -> Iterator[Callable[[], Flask]]:
    """Build entitlements's app from the environment; engines are disposed after the test."""
    apps: list[Flask] = []

    def build() -> Flask:
        app = create_app()
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["sessions"].kw["bind"].dispose()


@pytest.fixture
def app(entitlements_database: str, build_app) -> Flask:
    return build_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class StoredRows:
    """What the requests left in the database, read on a connection of its own."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

    def counts(self) -> dict[str, int]:
        return {table: self.count(table) for table in TABLES}

    def outbox(self) -> list[dict[str, Any]]:
        """The outbox rows, oldest first, with typed columns."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(outbox).order_by(outbox.c.position)).mappings().all()
        return [dict(row) for row in rows]

    def event_types(self) -> list[str]:
        return [row["event_type"] for row in self.outbox()]

    def audit(self) -> list[dict[str, Any]]:
        """The access audit rows, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(access_audit).order_by(access_audit.c.at, access_audit.c.id))
            return [dict(row) for row in rows.mappings()]


@pytest.fixture
def stored(entitlements_database: str) -> Iterator[StoredRows]:
    rows = StoredRows(entitlements_database)
    yield rows
    rows.engine.dispose()


@pytest.fixture
def clinic_id() -> uuid.UUID:
    return uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")


@pytest.fixture
def admin_id() -> uuid.UUID:
    return uuid.UUID("0193a5e0-0000-7000-8000-00000000ad41")


@pytest.fixture
def sessions(entitlements_database: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's database, for use cases run directly and for delivered events."""
    engine = make_engine(entitlements_database)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def deliver(sessions: sessionmaker[Session], clinic_id: uuid.UUID) -> Callable[[Event], bool]:
    """Deliver an event to entitlements' consumer group as the worker would (a fresh envelope each
    time, as a producer's retry would publish); whether it was applied."""
    return lambda event: apply_delivered(handlers, sessions, Envelope.wrap(event, clinic_id=clinic_id,
                                                                           correlation_id="test"))


@pytest.fixture
def record_patient(deliver: Callable[[Event], bool], clinic_id: uuid.UUID) -> Callable[..., None]:
    """Scheduling registered the patient: deliver its event, as entitlements writes for known patients only."""

    def record(patient_id: uuid.UUID, account_id: uuid.UUID | None = None, *, version: int = 1,
               archived: bool = False) -> None:
        deliver(PatientUpsertedV1(
            clinic_id=clinic_id, patient_id=patient_id, account_id=account_id, name="A patient",
            email="patient@example.com", mobile=None, sms_consent=None, version=version, archived=archived,
            updated_at=utcnow()))

    return record


@pytest.fixture
def role_body() -> Callable[..., dict[str, Any]]:
    """A valid role, with `changes` applied."""

    def body(**changes: Any) -> dict[str, Any]:
        return {
            "key": "front-desk-lead",
            "name": "Front desk lead",
            "grants": [{"permission": "appointments.read", "scope": "any"},
                       {"permission": "reports.read", "scope": "any"}],
            **changes,
        }

    return body


@pytest.fixture
def front_desk_lead(client: FlaskClient, clinic_id, admin_id, role_body) -> dict[str, Any]:
    """A clinic-defined role created through the API before the test starts (at version 1)."""
    response = client.post(f"/clinics/{clinic_id}/roles", json=role_body(), headers={"X-Actor-Id": str(admin_id)})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def problem(response) -> dict[str, Any]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))


@pytest.fixture
def problem_of() -> Callable[[Any], dict[str, Any]]:
    """The RFC 9457 body of a response, after checking its media type."""
    return problem
