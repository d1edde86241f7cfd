"""Scheduling's consumers and web app on its real database (PostgreSQL and SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.db import make_engine, make_session_factory
from clinic_runtime.messaging.consumers import apply_delivered
from clinic_runtime.messaging.tables import inbox
from clinic_runtime.migrations import upgrade
from scheduling.adapters.clinic_directory import SqlClinicDirectory
from scheduling.adapters.offerings import SqlCalendarDirectory, SqlProviderDirectory, SqlServiceDirectory
from scheduling.domain.clinic_directory import ClinicSnapshot
from scheduling.domain.offerings import CalendarSnapshot, ProviderSnapshot, ServiceSnapshot
from scheduling.entrypoints.consumers import clinic_snapshot, handlers
from scheduling.entrypoints.migrate import MIGRATIONS
from scheduling.entrypoints.web import create_app

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"
CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
BUCHAREST = timezone(timedelta(hours=2))


@pytest.fixture
def scheduling_database(database_url: str, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AMQP_URL", UNREACHABLE_BROKER)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    upgrade(MIGRATIONS, database_url)
    return database_url


@pytest.fixture
def sessions(scheduling_database: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(scheduling_database)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(scheduling_database: str) -> Iterator[FlaskClient]:
    app = create_app()
    yield app.test_client()
    app.extensions["sessions"].kw["bind"].dispose()


@pytest.fixture
def deliver(sessions, envelope_of) -> Callable:
    """Apply one of catalog's (or billing's) events as scheduling's consumers would."""
    return lambda event: apply_delivered(handlers, sessions, envelope_of(event))


def problem(response) -> dict:
    assert response.mimetype == "application/problem+json"
    return response.get_json(force=True)


def next_monday(weeks_ahead: int = 1) -> date:
    """A Monday at least three days from now: inside the booking horizon, beyond the notice."""
    today = date.today() + timedelta(days=3)
    return today + timedelta(days=(7 - today.weekday()) % 7 + 7 * (weeks_ahead - 1))


class Directory:
    """What scheduling holds, read in a session of its own."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, clinic_id: uuid.UUID = CLINIC_ID) -> ClinicSnapshot | None:
        with self._sessions() as session:
            return SqlClinicDirectory(session).get(clinic_id)

    def inbox(self) -> list[tuple[uuid.UUID, str, str]]:
        with self._sessions() as session:
            return [tuple(row) for row in session.execute(
                sa.select(inbox.c.event_id, inbox.c.consumer, inbox.c.event_type).order_by(inbox.c.processed_at)
            )]

    def clinic_count(self) -> int:
        return self.count("clinic_directory")

    def count(self, table: str) -> int:
        with self._sessions() as session:
            return session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

    def provider(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderSnapshot | None:
        with self._sessions() as session:
            return SqlProviderDirectory(session).get(clinic_id, provider_id)

    def service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> ServiceSnapshot | None:
        with self._sessions() as session:
            return SqlServiceDirectory(session).get(clinic_id, service_id)

    def calendars(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[CalendarSnapshot]:
        with self._sessions() as session:
            return SqlCalendarDirectory(session).of_service(clinic_id, service_id)


@pytest.fixture
def directory(sessions) -> Directory:
    return Directory(sessions)


@pytest.fixture
def clinic_upserted() -> Callable[..., Envelope]:
    """A catalog.clinic.upserted.v1 envelope of one clinic at `version`, as catalog emits it."""

    def envelope(version: int, **changes) -> Envelope:
        event = ClinicUpsertedV1(**{
            "clinic_id": CLINIC_ID, "slug": "dental-care-cluj", "name": f"Dental Care Cluj v{version}",
            "timezone": "Europe/Bucharest", "currency": "RON", "locale": "ro-RO", "version": version,
            "archived": False, "updated_at": datetime(2026, 3, 14, 11, version, tzinfo=BUCHAREST), **changes,
        })
        return Envelope.wrap(event, clinic_id=event.clinic_id, correlation_id=f"corr-v{version}")

    return envelope


@pytest.fixture
def snapshot_of() -> Callable[[Envelope], ClinicSnapshot]:
    def of(envelope: Envelope) -> ClinicSnapshot:
        return clinic_snapshot(envelope.payload(ClinicUpsertedV1))

    return of
