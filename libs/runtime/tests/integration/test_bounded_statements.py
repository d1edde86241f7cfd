"""A web request's statements are bounded on PostgreSQL (WEB_STATEMENT_TIMEOUT_SECONDS): one
that waits on a lock held elsewhere, or simply runs too long, is cancelled; the request writes
nothing and answers 503 database-busy with Retry-After, and the web thread is free again."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import Blueprint

from clinic_runtime.messaging.tables import idempotency_keys, messaging_metadata
from clinic_runtime.settings import ServiceSettings
from clinic_runtime.web import create_web_app, db, web_engine

pytestmark = pytest.mark.integration

BOUND_SECONDS = 0.3
LOCK = 4242


def settings(**values) -> ServiceSettings:
    return ServiceSettings(service_name="bounded", http_port=1, web_statement_timeout_seconds=BOUND_SECONDS, **values)


@pytest.fixture
def engine(postgres_url):
    engine = web_engine(settings(database_url=postgres_url))
    messaging_metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine):
    blueprint = Blueprint("bounded", __name__)

    @blueprint.post("/keys/<key>")
    def store_then_wait_for_the_lock(key: str):
        db().execute(sa.insert(idempotency_keys).values(
            scope="s", key=key, request_fingerprint="f", status_code=201, response_body="{}", response_headers="{}",
            created_at=sa.func.now()))
        db().execute(sa.text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": LOCK})
        return {"stored": key}, 201

    @blueprint.get("/sleep/<float:seconds>")
    def sleep(seconds: float):
        db().execute(sa.text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
        return {"slept": seconds}

    @blueprint.get("/ended")
    def ended():
        pid = db().execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db().execute(sa.text("SELECT 1"))
        return {}

    @blueprint.get("/bound")
    def bound():
        return {"statement_timeout": db().execute(sa.text("SHOW statement_timeout")).scalar_one()}

    return create_web_app(settings(), engine, [blueprint]).test_client()


@pytest.fixture
def lock_held_elsewhere(engine):
    with engine.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_lock(:lock)"), {"lock": LOCK})
        yield
        holder.execute(sa.text("SELECT pg_advisory_unlock(:lock)"), {"lock": LOCK})


def stored_keys(engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(idempotency_keys.c.key)).scalars())


def test_a_request_waiting_on_a_lock_held_elsewhere_is_cancelled_and_writes_nothing(client, engine,
                                                                                     lock_held_elsewhere):
    began = time.monotonic()
    answer = client.post("/keys/k-1")
    waited = time.monotonic() - began

    assert answer.status_code == 503
    assert answer.json["type"].endswith("/database-busy")
    assert answer.headers["Retry-After"] == "1"
    assert BOUND_SECONDS <= waited < BOUND_SECONDS + 2
    assert stored_keys(engine) == []


def test_the_same_request_succeeds_once_the_lock_is_free(client, engine):
    assert client.post("/keys/k-2").status_code == 201
    assert stored_keys(engine) == ["k-2"]


def test_a_statement_within_the_bound_runs_and_one_past_it_is_cancelled(client):
    assert client.get(f"/sleep/{BOUND_SECONDS / 3}").status_code == 200
    assert client.get(f"/sleep/{BOUND_SECONDS * 5}").status_code == 503


def test_the_bound_outlives_a_rolled_back_request_on_the_same_connection(client, engine):
    """It is the connection's session default, not a SET that a rollback would undo."""
    assert client.get(f"/sleep/{BOUND_SECONDS * 5}").status_code == 503

    for _ in range(engine.pool.size() + 1):
        assert client.get("/bound").json == {"statement_timeout": f"{round(BOUND_SECONDS * 1000)}ms"}


def test_other_database_failures_stay_internal_errors(client):
    """Only a cancelled statement means "busy": a connection the server ended is a 500, as before."""
    answer = client.get("/ended")

    assert answer.status_code == 500
    assert answer.json["type"].endswith("/internal-error")
