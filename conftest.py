"""Test infrastructure shared by every test in the repository.

Real PostgreSQL and RabbitMQ come from `TEST_POSTGRES_URL` / `TEST_AMQP_URL` (defaulting to the
local servers). Where those are not reachable and a Docker engine is, testcontainers starts them.
With neither, integration tests are skipped on a laptop and FAIL under `CI=true`: CI never
passes by skipping.

Isolation: every test gets its own PostgreSQL database (`t_<random>`) and its own broker
namespace (`t-<random>`: exchange and queue names), removed afterwards, so tests neither see
each other nor disturb a platform a developer runs locally on the same servers.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
# Every consumer group a test may declare: the services' and the runtime tests' own.
CONSUMER_GROUPS = ["gateway", "catalog", "scheduling", "billing", "entitlements", "notifications", "test-consumer"]


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=2):
            return True
    except OSError:
        return False


def _unavailable(what: str) -> None:
    message = (
        f"{what} is not reachable and no Docker engine is available for testcontainers. "
        f"Start it (see README: 'Running the tests') or point the TEST_* variable at one."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    if _reachable(url):
        yield url
        return
    if not _docker_available():
        _unavailable(f"PostgreSQL at {url}")
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16", driver="psycopg") as container:
        yield container.get_connection_url()


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    url = os.environ.get("TEST_AMQP_URL", DEFAULT_AMQP)
    if _reachable(url):
        yield url
        return
    if not _docker_available():
        _unavailable(f"RabbitMQ at {url}")
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:4-management") as container:
        params = container.get_connection_params()
        yield f"amqp://guest:guest@{params.host}:{params.port}/"


@contextmanager
def _fresh_databases(admin_url: str, labels: tuple[str, ...]) -> Iterator[list[str]]:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = [f"t_{label}_{uuid.uuid4().hex[:10]}" for label in labels]
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.make_url(admin_url)
        yield [url.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def fresh_databases(postgres_admin_url: str) -> Callable[..., AbstractContextManager[list[str]]]:
    """`with fresh_databases("a", "b") as urls:` fresh, empty PostgreSQL databases, dropped
    afterwards; for fixtures of any scope."""
    return lambda *labels: _fresh_databases(postgres_admin_url, labels)


@pytest.fixture
def create_database(fresh_databases) -> Iterator[Callable[[str], str]]:
    """Factory: a fresh, empty PostgreSQL database for this test; returns its URL."""
    with ExitStack() as stack:
        yield lambda label="db": stack.enter_context(fresh_databases(label))[0]


@pytest.fixture
def postgres_url(create_database: Callable[[str], str]) -> str:
    return create_database("pg")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'service.db'}"


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request) -> str:
    """Runs the test on both backends: PostgreSQL-only SQL must have a correct SQLite path."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return request.getfixturevalue("sqlite_url")


@contextmanager
def _fresh_namespace(amqp_url: str) -> Iterator[str]:
    namespace = f"t-{uuid.uuid4().hex[:10]}"
    try:
        yield namespace
    finally:
        asyncio.run(_delete_namespace(amqp_url, namespace))


@pytest.fixture(scope="session")
def fresh_broker_namespace(amqp_url: str) -> Callable[[], AbstractContextManager[str]]:
    """`with fresh_broker_namespace() as namespace:` exchanges and queues of the caller alone,
    deleted afterwards; for fixtures of any scope."""
    return lambda: _fresh_namespace(amqp_url)


@pytest.fixture
def broker_namespace(fresh_broker_namespace) -> Iterator[str]:
    """A namespace of exchanges and queues of this test alone, deleted afterwards."""
    with fresh_broker_namespace() as namespace:
        yield namespace


async def _delete_namespace(amqp_url: str, namespace: str) -> None:
    import aio_pika

    from clinic_runtime.messaging.topology import Topology

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        await Topology(namespace).delete(await connection.channel(), CONSUMER_GROUPS)
