"""A real platform for access tests: the gateway's app (Flask test client) in front of catalog's
and entitlements' real web apps, served in threads on free ports, each on its own PostgreSQL
database. Decisions are entitlements' own; clinics are catalog's.

    platform          one per test session: the three apps, a mail sink, the first operator;
    platform.clinic() a fresh clinic built through the API (operator registers it and appoints
                      its admin; the admin opens a receptionist and two specialists; a patient
                      signs up), each member with a signed-in token. Tests that change a
                      clinic take a fresh one, so tests never see each other's changes;
    tenants           two clinics for tests that only read.

Tokens are minted as a login mints them (a session row, then an access token signed with the
gateway's key), except where a test logs in through the API to show that path.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from clinic_contracts import uuid7
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.devstack import free_ports
from clinic_runtime.migrations import upgrade
from gateway.adapters.accounts import SqlSessions
from gateway.domain.encryption import SecretBox
from gateway.domain.principal import AccountKind
from gateway.domain.sessions import LoginSession
from gateway.domain.tokens import TokenCodec
from gateway.entrypoints.migrate import bootstrap_first_operator
from gateway.settings import Settings

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"
SIGNING_KEY = "access-tests-signing-key-0123456789abcdef"
OPERATOR_EMAIL = "operator@platform.example"
PASSWORD = "plum tree orchard at dawn"
GATEWAY_SETTINGS = {
    "TOKEN_SIGNING_KEY": SIGNING_KEY,
    "BOOTSTRAP_OPERATOR_EMAIL": OPERATOR_EMAIL,
    "BOOTSTRAP_OPERATOR_PASSWORD": PASSWORD,
    "PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "64", "PASSWORD_HASH_PARALLELISM": "1",
    # The tests call from one address far more often than a person would.
    "RATE_LIMIT_LOGIN": "100000/minute", "RATE_LIMIT_PASSWORD_RESET": "100000/minute",
    "RATE_LIMIT_PUBLIC": "100000/minute",
    "UPSTREAM_TIMEOUT_SECONDS": "5",
}


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Settings for the apps built inside the block; the process environment is restored after
    (each app keeps the Settings it read)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR", "TOKEN_PREVIOUS_SIGNING_KEY", "TRUSTED_PROXY_COUNT"):
            patch.delenv(name, raising=False)
        patch.setenv("AMQP_URL", UNREACHABLE_BROKER)
        for name, value in values.items():
            patch.setenv(name, value)
        yield


class Served:
    """A WSGI app served on a free port by a thread (werkzeug's threaded server); `requests`
    records the method and path of every request it received."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._recorded, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"serve-{app.name}", daemon=True)
        self._thread.start()

    def _recorded(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return self.app(environ, start_response)

    def count(self, method: str, path: str) -> int:
        return self.requests.count((method, path))

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)
        self.app.extensions["sessions"].kw["bind"].dispose()


@dataclass
class MailSink:
    port: int
    messages: list[Message] = field(default_factory=list)

    def sent_to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def link_token(self, address: str) -> str:
        """The token of the link in the last message mailed to `address`."""
        body = self.sent_to(address)[-1].get_payload(decode=True).decode()
        return body.split("token=", 1)[1].split()[0]


@contextmanager
def mail_sink() -> Iterator[MailSink]:
    from aiosmtpd.controller import Controller

    [port] = free_ports(1)
    sink = MailSink(port)

    class Keep:
        async def handle_DATA(self, server, session, envelope) -> str:
            sink.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass(frozen=True)
class Member:
    """An account with a signed-in token (`headers`)."""

    account_id: uuid.UUID
    kind: AccountKind
    clinic_id: uuid.UUID | None
    email: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Clinic:
    id: uuid.UUID
    slug: str
    admin: Member
    receptionist: Member
    specialist: Member
    other_specialist: Member
    patient: Member

    @property
    def members(self) -> list[Member]:
        return [self.admin, self.receptionist, self.specialist, self.other_specialist, self.patient]

    @property
    def admin_path(self) -> str:
        return f"/v1/admin/clinics/{self.slug}"


class Platform:
    def __init__(self, gateway: Flask, settings: dict[str, str], catalog: Served, entitlements: Served,
                 mail: MailSink, entitlements_database_url: str) -> None:
        self.app = gateway
        self.client: FlaskClient = gateway.test_client()
        self.catalog = catalog
        self.entitlements = entitlements
        self.mail = mail
        self.tokens = TokenCodec(SIGNING_KEY)
        self.settings = settings
        self.database_url = settings["DATABASE_URL"]
        self.entitlements_database_url = entitlements_database_url
        self.engine = make_engine(self.database_url)
        self._apps = [gateway]
        self.sessions = make_session_factory(self.engine)
        self.operator = self._log_in_operator()

    def another_gateway(self, **changes: str) -> FlaskClient:
        """Another gateway web process on the same database, with some settings changed."""
        from gateway.entrypoints.web import create_app

        with environment(**{**self.settings, **{k.upper(): v for k, v in changes.items()}}):
            app = create_app()
        self._apps.append(app)
        return app.test_client()

    def mail_links(self) -> int:
        """Run the gateway worker's link-mail job, as its timer does, until nothing is left to mail
        (one run mails a batch; earlier tests of the session may have left links due); the number
        mailed."""
        from gateway.entrypoints.worker import link_mailer

        with environment(**self.settings):
            settings = Settings()
        job, mailed = link_mailer(self.engine, settings), 0
        while batch := job():
            mailed += batch
        return mailed

    def dispose(self) -> None:
        self.engine.dispose()
        for app in self._apps:
            app.extensions["sessions"].kw["bind"].dispose()
        self.catalog.stop()
        self.entitlements.stop()

    # -- tokens -----------------------------------------------------------------------------------

    def sign_in(self, account_id: uuid.UUID, kind: AccountKind, clinic_id: uuid.UUID | None, email: str = "",
                *, mfa_verified: bool = True, minted_at: datetime | None = None) -> Member:
        """A session as a login opens it, and an access token of it."""
        now = datetime.now(UTC)
        session_id = uuid7()
        with transaction(self.sessions) as session:
            SqlSessions(session).add(LoginSession(session_id, account_id, clinic_id, mfa_verified, now))
        token, _ = self.tokens.access_token(account_id, kind, clinic_id, session_id, mfa_verified, minted_at or now)
        return Member(account_id, kind, clinic_id, email, {"Authorization": f"Bearer {token}"})

    def expired(self, member: Member) -> dict[str, str]:
        return self.sign_in(member.account_id, member.kind, member.clinic_id,
                            minted_at=datetime.now(UTC) - timedelta(minutes=6)).headers

    @staticmethod
    def tampered(member: Member) -> dict[str, str]:
        """The token with its claims changed (another kind of account) and the signature kept."""
        import base64
        import json

        header, claims, signature = member.headers["Authorization"].removeprefix("Bearer ").split(".")
        decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        decoded["kind"] = "operator" if decoded["kind"] != "operator" else "staff"
        forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
        return {"Authorization": f"Bearer {header}.{forged}.{signature}"}

    # -- building clinics through the API -----------------------------------------------------

    def clinic(self, label: str = "clinic") -> Clinic:
        slug = f"{label}-{uuid.uuid4().hex[:8]}"
        created = self.call("POST", "/v1/platform/clinics", self.operator, json={
            "slug": slug, "name": f"Clinic {slug}", "timezone": "Europe/Bucharest", "currency": "RON",
            "locale": "ro-RO"}, expect=201)
        clinic_id = uuid.UUID(created["id"])
        admin = self.call("POST", f"/v1/platform/clinics/{slug}/admins", self.operator,
                          json={"email": f"admin@{slug}.example", "display_name": "Ana Admin"}, expect=201)
        admin_member = self.sign_in(uuid.UUID(admin["id"]), AccountKind.STAFF, clinic_id, admin["email"])
        base = f"/v1/admin/clinics/{slug}"

        def staff(kind: str, name: str, role: str) -> Member:
            opened = self.call("POST", f"{base}/accounts", admin_member, expect=201, json={
                "kind": kind, "email": f"{name}@{slug}.example", "display_name": name.title(), "roles": [role]})
            return self.sign_in(uuid.UUID(opened["id"]), AccountKind(kind), clinic_id, opened["email"])

        receptionist = staff("staff", "rita", "receptionist")
        specialist = staff("provider", "sam", "specialist")
        other_specialist = staff("provider", "sofia", "specialist")
        patient_email = f"paula@{slug}.example"
        patient_member = self.sign_up(slug, patient_email, "Paula Patient")
        return Clinic(clinic_id, slug, admin_member, receptionist, specialist, other_specialist, patient_member)

    def sign_up(self, slug: str, email: str, display_name: str) -> Member:
        """A patient who signed up at the clinic and confirmed the address with the mailed link."""
        self.call("POST", f"/v1/clinics/{slug}/patients/accounts", None, expect=202,
                  json={"email": email, "display_name": display_name, "password": PASSWORD})
        self.mail_links()
        signed_in = self.call("POST", "/v1/auth/registration/confirm", None,
                              json={"token": self.mail.link_token(email), "password": PASSWORD})
        claims = self.tokens.read_access_token(signed_in["access_token"], datetime.now(UTC))
        return self.sign_in(claims.account_id, AccountKind.PATIENT, claims.clinic_id, email)

    def call(self, method: str, path: str, member: Member | None, *, expect: int = 200, **kwargs: Any) -> Any:
        response = self.client.open(path, method=method, headers=member.headers if member else {}, **kwargs)
        assert response.status_code == expect, f"{method} {path}: {response.get_data(as_text=True)}"
        return response.get_json()

    def _log_in_operator(self) -> Member:
        response = self.client.post("/v1/auth/login", json={"email": OPERATOR_EMAIL, "password": PASSWORD})
        assert response.status_code == 200, response.get_data(as_text=True)
        token = response.get_json()["access_token"]
        claims = self.tokens.read_access_token(token, datetime.now(UTC))
        return Member(claims.account_id, AccountKind.OPERATOR, None, OPERATOR_EMAIL,
                      {"Authorization": f"Bearer {token}"})


def build_services(gateway_url: str, catalog_url: str, entitlements_url: str,
                   mail_port: int) -> tuple[Served, Served, Flask, dict[str, str]]:
    """Migrate the three databases, serve catalog and entitlements, build the gateway's app."""
    from catalog.entrypoints import migrate as catalog_migrate
    from catalog.entrypoints.web import create_app as create_catalog
    from entitlements.entrypoints import migrate as entitlements_migrate
    from entitlements.entrypoints.web import create_app as create_entitlements
    from gateway.entrypoints import migrate as gateway_migrate
    from gateway.entrypoints.web import create_app as create_gateway

    upgrade(catalog_migrate.MIGRATIONS, catalog_url)
    upgrade(entitlements_migrate.MIGRATIONS, entitlements_url)
    upgrade(gateway_migrate.MIGRATIONS, gateway_url)
    with environment(DATABASE_URL=catalog_url):
        catalog = Served(create_catalog())
    with environment(DATABASE_URL=entitlements_url):
        entitlements = Served(create_entitlements())
    settings = {**GATEWAY_SETTINGS, "MFA_ENCRYPTION_KEY": SecretBox.new_key(), "DATABASE_URL": gateway_url,
                "CATALOG_URL": catalog.url, "ENTITLEMENTS_URL": entitlements.url, "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(mail_port), "SMTP_SECURITY": "none"}
    with environment(**settings):
        bootstrap_first_operator(Settings())
        gateway = create_gateway()
    return catalog, entitlements, gateway, settings


@pytest.fixture(scope="session")
def platform(fresh_databases) -> Iterator[Platform]:
    with fresh_databases("gateway", "catalog", "entitlements") as (gateway_url, catalog_url, entitlements_url), \
            mail_sink() as mail:
        catalog, entitlements, gateway, settings = build_services(gateway_url, catalog_url, entitlements_url,
                                                                  mail.port)
        world = Platform(gateway, settings, catalog, entitlements, mail, entitlements_url)
        try:
            yield world
        finally:
            world.dispose()


@dataclass(frozen=True)
class Tenants:
    mine: Clinic
    other: Clinic


@pytest.fixture(scope="session")
def tenants(platform: Platform) -> Tenants:
    """Two clinics that tests only read (nothing may change them)."""
    return Tenants(platform.clinic("mine"), platform.clinic("other"))


@pytest.fixture
def fresh_clinic(platform: Platform) -> Callable[[], Clinic]:
    return platform.clinic


def identifiers_of(clinic: Clinic) -> set[str]:
    """What must never appear in an answer to another clinic's principal."""
    return {str(clinic.id), clinic.slug, *(str(m.account_id) for m in clinic.members),
            *(m.email for m in clinic.members)}


@pytest.fixture
def leaked() -> Callable[[Any, Clinic, str], set[str]]:
    """The identifiers of `victim` in a response's body, other than those the caller put in the
    request's `path` itself."""

    def found(response, victim: Clinic, path: str) -> set[str]:
        body = response.get_data(as_text=True)
        return {identifier for identifier in identifiers_of(victim) if identifier in body and identifier not in path}

    return found


@pytest.fixture
def problem_of() -> Callable[[Any], dict[str, Any]]:
    """The RFC 9457 body of a response, after checking its media type."""

    def problem(response) -> dict[str, Any]:
        assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
        return response.get_json(force=True)

    return problem
