"""The whole platform as real processes, for end-to-end tests.

`platform` starts it the way `scripts/run` does (clinic_runtime.devstack), but on PostgreSQL (one
fresh database per service), in a broker namespace of its own and on free ports, so it never
meets a developer's local run. It is module-scoped: starting eleven processes takes a while.
Like the local run it has a mail sink (each message saved under `platform.mail`); its first
platform operator logs in with `platform.operator` (email and password); documents are kept in
its own directory. When a test fails, every process's log tail is attached to its report.

Also what the tests share to use it: `Caller` (someone calling the gateway, signed in or not),
`register_clinic` (a clinic with its admin signed in), `invitation_token` and `eventually`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import requests

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
ADMIN_PASSWORD = "a long walk along the river"
CALL_TIMEOUT = 30.0


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
               "SMTP_SECURITY": "none",  # the local sink speaks plain SMTP
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


@dataclass
class Caller:
    """Someone calling the gateway, signed in or not."""

    base: str
    token: str | None = None

    def call(self, method: str, path: str, expect: int = 200, **keywords: Any) -> requests.Response:
        headers = keywords.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = requests.request(method, self.base + path, headers=headers, timeout=CALL_TIMEOUT, **keywords)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response

    def log_in(self, email: str, password: str) -> Caller:
        answer = self.call("POST", "/v1/auth/login", json={"email": email, "password": password}).json()
        return Caller(self.base, answer["access_token"])


def invitation_token(platform: Platform, address: str, within: float = 15.0) -> str:
    """The token of the invitation link mailed to `address`: the gateway's worker mails it within
    seconds of the request, so it is waited for."""
    tokens: list[str] = []

    def mailed() -> bool:
        for path in platform.mail.glob("*.eml"):
            message = message_from_bytes(path.read_bytes())
            if message["To"] == address:
                tokens.append(message.get_payload(decode=True).decode().split("token=", 1)[1].split()[0])
                return True
        return False

    if not eventually(mailed, within):
        raise AssertionError(f"no invitation was mailed to {address} within {within:.0f} s")
    return tokens[0]


def register_clinic(platform: Platform, slug: str, name: str, timezone: str) -> tuple[str, Caller]:
    """The platform's operator registers a clinic and appoints its admin, who sets a password from
    the invitation email: the clinic's id and its admin, signed in."""
    anyone = Caller(platform.urls["gateway"])
    operator = anyone.log_in(platform.operator["email"], platform.operator["password"])
    registered = operator.call("POST", "/v1/platform/clinics", 201, json={
        "slug": slug, "name": name, "timezone": timezone, "currency": "RON", "locale": "ro-RO"}).json()
    email = f"admin@{slug}.example"
    operator.call("POST", f"/v1/platform/clinics/{slug}/admins", 201, json={"email": email, "display_name": "Ana"})
    anyone.call("POST", "/v1/auth/password-reset/confirm", 204,
                json={"token": invitation_token(platform, email), "new_password": ADMIN_PASSWORD})
    return registered["id"], anyone.log_in(email, ADMIN_PASSWORD)


def eventually(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
