"""The whole platform as real processes, for end-to-end tests.

`platform` starts it the way `scripts/run` does (clinic_runtime.devstack), but on PostgreSQL (one
fresh database per service), in a broker namespace of its own and on free ports, so it never
meets a developer's local run. It is module-scoped: starting eleven processes takes a while.
When a test fails, every process's log tail is attached to its report.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from clinic_runtime.devstack import DOMAIN_SERVICES, Ports, Supervisor, platform_specs, start_platform

READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class Platform:
    urls: Mapping[str, str]  # web base URL per service, gateway included
    supervisor: Supervisor


@pytest.fixture(scope="module")
def platform(postgres_admin_url: str, amqp_url: str, tmp_path_factory) -> Iterator[Platform]:
    state_dir = tmp_path_factory.mktemp("platform")
    with _databases(postgres_admin_url, DOMAIN_SERVICES) as database_urls, _broker_namespace(amqp_url) as namespace:
        env = {**os.environ, "AMQP_URL": amqp_url, "BROKER_NAMESPACE": namespace,
               "WEB_CONCURRENCY": "1", "LOG_LEVEL": "INFO"}
        specs = platform_specs(env, Ports.free(), state_dir, database_urls)
        supervisor = Supervisor(state_dir / "log")
        try:
            start_platform(supervisor, specs, READY_TIMEOUT)
            yield Platform(specs.web_urls, supervisor)
            # A process that died during the tests fails the module even if no test noticed.
            supervisor.check()
        finally:
            supervisor.stop_all()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    platform = getattr(item, "funcargs", {}).get("platform")
    if report.failed and isinstance(platform, Platform):
        supervisor = platform.supervisor
        for name in supervisor.names:
            report.sections.append((f"{name} ({supervisor.log_path(name)})", supervisor.log_tail(name)))
    return report


@contextmanager
def _databases(admin_url: str, services: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """One fresh PostgreSQL database per service, dropped afterwards (as the root conftest's
    `create_database`, but living as long as the module's platform)."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = {service: f"t_e2e_{service}_{uuid.uuid4().hex[:10]}" for service in services}
    try:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.make_url(admin_url)
        yield {s: url.set(database=n).render_as_string(hide_password=False) for s, n in names.items()}
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _broker_namespace(amqp_url: str) -> Iterator[str]:
    """Exchanges and queues of this platform alone, deleted afterwards."""
    namespace = f"t-{uuid.uuid4().hex[:10]}"
    try:
        yield namespace
    finally:
        asyncio.run(_delete_namespace(amqp_url, namespace))


async def _delete_namespace(amqp_url: str, namespace: str) -> None:
    import aio_pika

    from clinic_runtime.messaging.topology import Topology

    topology = Topology(namespace)
    queues = [topology.unrouted_queue]
    for group in DOMAIN_SERVICES:
        queues += [topology.group_queue(group), topology.dead_letter_queue(group)]
    exchanges = [topology.events_exchange, topology.unrouted_exchange, topology.dead_letter_exchange]
    async with await aio_pika.connect(amqp_url) as connection:
        for queue in queues:
            await (await connection.channel()).queue_delete(queue)
        for exchange in exchanges:
            await (await connection.channel()).exchange_delete(exchange)
