"""Catalog's web app on its real database (PostgreSQL and SQLite, via the root `database_url`).

Each test gets a freshly migrated database; the app is built exactly as in production
(`create_app()` reading `DATABASE_URL`). The broker points at a closed port: the web process
never talks to it except for the informational readiness check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from catalog.entrypoints.migrate import MIGRATIONS
from catalog.entrypoints.web import create_app
from clinic_runtime.messaging.tables import outbox
from clinic_runtime.migrations import upgrade

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture
def catalog_environment(monkeypatch) -> Callable[[str], None]:
    """Point the service's settings at `url` (and at no broker, no multiprocess metrics)."""

    def point_at(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("AMQP_URL", UNREACHABLE_BROKER)
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    return point_at


@pytest.fixture
def catalog_database(database_url: str, catalog_environment) -> str:
    catalog_environment(database_url)
    upgrade(MIGRATIONS, database_url)
    return database_url


@pytest.fixture
def build_app(catalog_environment) -> Iterator[Callable[[], Flask]]:
    """Build catalog's app from the environment; engines are disposed after the test."""
    apps: list[Flask] = []

    def build() -> Flask:
        app = create_app()
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["sessions"].kw["bind"].dispose()


@pytest.fixture
def client(catalog_database: str, build_app) -> FlaskClient:
    return build_app().test_client()


class StoredRows:
    """What the request left in the database, read on a connection of its own."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

    def counts(self) -> dict[str, int]:
        return {table: self.count(table) for table in ("clinics", "outbox", "idempotency_keys")}

    def outbox(self) -> list[dict[str, Any]]:
        """The outbox rows, oldest first, with typed columns (UUIDs, aware datetimes)."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(outbox).order_by(outbox.c.position)).mappings().all()
        return [dict(row) for row in rows]


@pytest.fixture
def stored(catalog_database: str) -> Iterator[StoredRows]:
    rows = StoredRows(catalog_database)
    yield rows
    rows.engine.dispose()


NOTHING_WRITTEN = {"clinics": 0, "outbox": 0, "idempotency_keys": 0}


@pytest.fixture
def nothing_written() -> dict[str, int]:
    return dict(NOTHING_WRITTEN)


@pytest.fixture
def clinic_body() -> Callable[..., dict[str, Any]]:
    """A valid registration body, with `changes` applied."""

    def body(**changes: Any) -> dict[str, Any]:
        return {
            "slug": "dental-care-cluj",
            "name": "Dental Care Cluj",
            "timezone": "Europe/Bucharest",
            "currency": "RON",
            "locale": "ro-RO",
            **changes,
        }

    return body


@pytest.fixture
def registered(client: FlaskClient, clinic_body) -> dict[str, Any]:
    """A clinic registered through the API before the test starts (at version 1)."""
    response = client.post("/clinics", json=clinic_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def problem(response) -> dict[str, Any]:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))


@pytest.fixture
def problem_of() -> Callable[[Any], dict[str, Any]]:
    """The RFC 9457 body of a response, after checking its media type."""
    return problem
