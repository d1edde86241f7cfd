"""The whole platform as real processes, for end-to-end tests.

`platform` starts it the way `scripts/run` does (clinic_runtime.devstack), but on PostgreSQL (one
fresh database per service), in a broker namespace of its own and on free ports, so it never
meets a developer's local run. It is module-scoped: starting eleven processes takes a while.
When a test fails, every process's log tail is attached to its report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest

from clinic_runtime.devstack import SERVICES, Ports, Supervisor, platform_specs, start_platform

READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class Platform:
    urls: Mapping[str, str]  # web base URL per service, gateway included
    supervisor: Supervisor


@pytest.fixture(scope="module")
def platform(fresh_databases, fresh_broker_namespace, amqp_url: str, tmp_path_factory) -> Iterator[Platform]:
    state_dir = tmp_path_factory.mktemp("platform")
    with fresh_databases(*SERVICES) as urls, fresh_broker_namespace() as namespace:
        database_urls = dict(zip(SERVICES, urls))
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
