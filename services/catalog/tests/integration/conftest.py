"""Catalog's web app on its real database (PostgreSQL and SQLite, via the root `database_url`).

Each test gets a freshly migrated database; the app is built exactly as in production
(`create_app()` reading `DATABASE_URL`). The broker points at a closed port: the web process
never talks to it except for the informational readiness check.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from catalog.entrypoints.migrate import MIGRATIONS
from catalog.entrypoints.web import create_app
from clinic_contracts import Envelope
from clinic_runtime.messaging.tables import outbox
from clinic_runtime.migrations import upgrade

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"


@pytest.fixture(scope="session")
def migrated_catalog(fresh_databases) -> Iterator[str]:
    """A PostgreSQL database migrated to catalog's newest schema once per run (its name)."""
    with fresh_databases("catalog_head") as [url]:
        upgrade(MIGRATIONS, url)
        yield sa.make_url(url).database


@pytest.fixture
def postgres_url(postgres_admin_url: str, migrated_catalog: str) -> Iterator[str]:
    """A fresh PostgreSQL database of this test alone, already at catalog's newest schema: a copy
    of `migrated_catalog`, much cheaper than migrating each one (test_migrations migrates its own)."""
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    name = f"t_catalog_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_catalog}"'))
    try:
        yield sa.make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def document_store_path(tmp_path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def catalog_environment(monkeypatch, document_store_path) -> Callable[[str], None]:
    """Point the service's settings at `url` (and at no broker, no multiprocess metrics, documents
    under the test's own directory)."""

    def point_at(url: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("AMQP_URL", UNREACHABLE_BROKER)
        monkeypatch.setenv("DOCUMENT_STORE_PATH", str(document_store_path))
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

    def counts(self, *tables: str) -> dict[str, int]:
        """Rows in each of `tables`; in every catalog and messaging table when none are named."""
        return {table: self.count(table) for table in tables or NOTHING_WRITTEN}

    def outbox_types(self) -> list[str]:
        return [row["event_type"] for row in self.outbox()]

    def envelopes(self, event_type: str) -> list[Envelope]:
        """The envelopes of `event_type` in the outbox, oldest first."""
        return [Envelope.model_validate_json(row["body"]) for row in self.outbox() if row["event_type"] == event_type]

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


CATALOG_TABLES = ("clinics", "locations", "providers", "provider_locations", "services", "service_providers",
                  "documents", "calendars", "plans", "plan_services", "plan_products", "products")
NOTHING_WRITTEN = {table: 0 for table in (*CATALOG_TABLES, "outbox", "idempotency_keys")}


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


# -- a clinic's catalog, built through the API ----------------------------------------------------


class Catalog:
    """Adds entries through the API with valid bodies (`changes` applied) and returns them as
    answered, checking each was created. `clinic` is the clinic they go to unless another is named."""

    def __init__(self, client: FlaskClient, clinic: dict[str, Any]) -> None:
        self.client = client
        self.clinic = clinic

    def url(self, path: str = "", clinic: dict[str, Any] | None = None) -> str:
        return f"/clinics/{(clinic or self.clinic)['id']}{path}"

    def created(self, path: str, body: dict[str, Any], clinic: dict[str, Any] | None = None,
                **keywords: Any) -> dict[str, Any]:
        response = self.client.post(self.url(path, clinic), json=body, **keywords)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def location(self, clinic: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        held = self.client.get(self.url("", clinic))
        return self.created("/locations", {"name": "Cluj centre", "address": "Strada Memorandumului 28",
                                           "timezone": "Europe/Bucharest", **changes},
                            clinic, headers={"If-Match": held.headers["ETag"]})

    def provider(self, clinic: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        return self.created("/providers", {"name": "Dr. Ana Popescu", "email": "ana.popescu@dentalcare.ro",
                                           "mobile": "+40712345678", "timezone": "Europe/Bucharest", **changes},
                            clinic)

    def service(self, clinic: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        return self.created("/services", service_body(**changes), clinic)

    def calendar(self, service: dict[str, Any], clinic: dict[str, Any] | None = None,
                 **changes: Any) -> dict[str, Any]:
        return self.created(f"/services/{service['id']}/calendars",
                            {"name": "Standard", "kind": "standard", **changes}, clinic)

    def product(self, clinic: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        return self.created("/products", {"name": "Resistance band", "description": "Medium, 2 m.",
                                          "price": {"amount_minor": 4500, "currency": "RON"},
                                          "metadata": {"colour": "green"}, **changes}, clinic)

    def plan(self, services: list[dict[str, Any]], clinic: dict[str, Any] | None = None,
             **changes: Any) -> dict[str, Any]:
        return self.created("/plans", plan_body(services, **changes), clinic)


def service_body(**changes: Any) -> dict[str, Any]:
    return {"name": "Physiotherapy session", "description": "One to one, 50 minutes.", "duration_minutes": 50,
            "price": {"amount_minor": 20000, "currency": "RON"}, **changes}


def service_body_of(service: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The body that puts `service`, as answered, back (its name, description, duration and
    price; no window of its own), with `changes` applied."""
    return {**{k: service[k] for k in ("name", "description", "duration_minutes", "price")}, **changes}


def plan_body(services: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {"name": "10 sessions", "kind": "session_package", "sessions": 10,
            "price": {"amount_minor": 150000, "currency": "RON"}, "service_ids": [s["id"] for s in services],
            **changes}


@pytest.fixture(name="service_body_of")
def service_body_of_fixture() -> Callable[..., dict[str, Any]]:
    """`service_body_of(service, **changes)`: what a PUT repeats of a service as answered."""
    return service_body_of


@pytest.fixture(name="plan_body")
def plan_body_fixture() -> Callable[..., dict[str, Any]]:
    """`plan_body(services, **changes)`: a valid plan body selling sessions of `services`."""
    return plan_body


@pytest.fixture
def catalog(client: FlaskClient, registered: dict[str, Any]) -> Catalog:
    return Catalog(client, registered)


@pytest.fixture
def other_clinic(client: FlaskClient, clinic_body) -> dict[str, Any]:
    """A second tenant, registered beside `registered`."""
    response = client.post("/clinics", json=clinic_body(slug="physio-iasi", name="Physio Iasi"))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def if_match() -> Callable[[Any], dict[str, str]]:
    """If-Match headers carrying the ETag a response gave."""
    return lambda response: {"If-Match": response.headers["ETag"]}


@pytest.fixture
def fields_of() -> Callable[[Any], list[str]]:
    """The fields a 422 problem names, in its order."""

    def fields(response) -> list[str]:
        assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
        return [error["field"] for error in response.get_json()["errors"]]

    return fields


@pytest.fixture
def until_a_request_waits_on_a_lock() -> Callable[..., None]:
    """Wait (at most 30 s) until some session of the database waits on a lock: a request the test
    started has reached the row or key the test holds. Given `answered` (the request's future),
    stop as well once it is answered: nothing made it wait."""

    def wait(engine: sa.Engine, answered: Future | None = None) -> None:
        deadline = time.monotonic() + 30
        with engine.connect() as connection:
            while not (answered is not None and answered.done()) and not connection.execute(sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'")).scalar_one():
                assert time.monotonic() < deadline, (
                    "the request never reached the lock" + (" nor was answered" if answered is not None else ""))
                time.sleep(0.01)
                connection.rollback()

    return wait
