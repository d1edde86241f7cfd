"""The whole platform as real processes, for end-to-end tests.

`platform` starts it the way `scripts/run` does (clinic_runtime.devstack), but on PostgreSQL (one
fresh database per service), in a broker namespace of its own and on free ports, so it never
meets a developer's local run. It is module-scoped: starting eleven processes takes a while.
Like the local run it has a mail sink (each message saved under `platform.mail`); its first
platform operator logs in with `platform.operator` (email and password); documents are kept in
its own directory. When a test fails, every process's log tail is attached to its report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinic_runtime.devstack import (
    SERVICES,
    Ports,
    Supervisor,
    free_ports,
    platform_specs,
    start_mail_sink,
    start_platform,
)

READY_TIMEOUT = 60.0
OPERATOR_EMAIL = "operator@platform.example"
OPERATOR_PASSWORD = "plum tree orchard at dawn"


@dataclass(frozen=True)
class Platform:
    urls: Mapping[str, str]  # web base URL per service, gateway included
    supervisor: Supervisor
    mail: Path  # one .eml file per message sent
    operator: Mapping[str, str]  # the bootstrap operator's login body: email, password


@pytest.fixture(scope="session")
def platform(fresh_databases, fresh_broker_namespace, amqp_url: str, tmp_path_factory) -> Iterator[Platform]:
    state_dir = tmp_path_factory.mktemp("platform")
    with fresh_databases(*SERVICES) as urls, fresh_broker_namespace() as namespace:
        database_urls = dict(zip(SERVICES, urls))
        [smtp_port] = free_ports(1)
        env = {**os.environ, "AMQP_URL": amqp_url, "BROKER_NAMESPACE": namespace,
               "WEB_CONCURRENCY": "1", "LOG_LEVEL": "INFO", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port),
               "BOOTSTRAP_OPERATOR_EMAIL": OPERATOR_EMAIL, "BOOTSTRAP_OPERATOR_PASSWORD": OPERATOR_PASSWORD,
               "DOCUMENT_STORE_PATH": str(state_dir / "documents"),
               # Every request comes from one address: the tests call far more often than a person.
               "RATE_LIMIT_PUBLIC": "100000/minute"}
        specs = platform_specs(env, Ports.free(), state_dir, database_urls)
        supervisor = Supervisor(state_dir / "log")
        mail_sink = start_mail_sink(state_dir / "mail", smtp_port)
        try:
            start_platform(supervisor, specs, READY_TIMEOUT)
            yield Platform(specs.web_urls, supervisor, mail_sink.directory,
                           {"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD})
            # A process that died during the tests fails the module even if no test noticed.
            supervisor.check()
        finally:
            supervisor.stop_all()
            mail_sink.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    platform = getattr(item, "funcargs", {}).get("platform")
    if report.failed and isinstance(platform, Platform):
        supervisor = platform.supervisor
        for name in supervisor.names:
            report.sections.append((f"{name} ({supervisor.log_path(name)})", supervisor.log_tail(name)))
    return report
