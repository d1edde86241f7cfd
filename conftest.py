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
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


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


@pytest.fixture
def create_database(postgres_admin_url: str) -> Iterator[Callable[[str], str]]:
    """Factory: a fresh, empty PostgreSQL database for this test; returns its URL."""
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create(label: str = "db") -> str:
        name = f"t_{label}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return sa.make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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


@pytest.fixture
def broker_namespace(amqp_url: str) -> Iterator[str]:
    """A namespace of exchanges and queues of this test alone, deleted afterwards."""
    namespace = f"t-{uuid.uuid4().hex[:10]}"
    yield namespace
    asyncio.run(_delete_namespace(amqp_url, namespace))


async def _delete_namespace(amqp_url: str, namespace: str) -> None:
    import aio_pika

    from clinic_runtime.messaging.topology import Topology

    topology = Topology(namespace)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for group in ("scheduling", "catalog", "billing", "entitlements", "notifications", "test-consumer"):
            for queue in (topology.group_queue(group), topology.dead_letter_queue(group)):
                channel = await connection.channel()
                try:
                    await channel.queue_delete(queue)
                except Exception:
                    pass
        for name in (topology.unrouted_queue,):
            channel = await connection.channel()
            await channel.queue_delete(name)
        for exchange in (topology.events_exchange, topology.unrouted_exchange, topology.dead_letter_exchange):
            channel = await connection.channel()
            await channel.exchange_delete(exchange)
