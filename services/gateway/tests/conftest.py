"""The gateway's test fixtures.

Unit tests (identity's use cases without a database):
    uow        a FakeUnitOfWork: in-memory repositories, a FakeClock (`uow.clock`), a FakeMailer
               (`uow.mailer`; `uow.mail_links()` runs the worker's job that mails links), cheap
               argon2 parameters;
    clock      the same FakeClock.

Integration tests (the real database: PostgreSQL and SQLite through the root `database_url`):
    gateway_environment(url, **settings)  point the gateway's settings at `url` (no broker, cheap
               password hashing, SMTP at a closed port unless `mail_sink` is used);
    gateway_database   a freshly migrated gateway database (its URL);
    build_gateway_app  builds `create_app()` as production does; engines disposed afterwards;
    gateway_client     a Flask test client of that app;
    identity           IdentitySeed: accounts, MFA and clinic policies written directly, tokens
                       signed with the database's key, and `sign_in(client, account)` headers;
    mail_sink          a real SMTP server (aiosmtpd) the gateway sends to; request it before
                       `gateway_client` so the app is built pointing at it;
    mail_links()       runs the worker's link-mail job once: requests only record links.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from clinic_contracts import uuid7
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.migrations import upgrade
from gateway.adapters.accounts import DueLink, TotpCredential
from gateway.adapters.mailer import MailNotSent
from gateway.domain import totp
from gateway.domain.audit import AuditEntry
from gateway.domain.encryption import SecretBox
from gateway.domain.identity import Account, ClinicSecurityPolicy, SignUp
from gateway.domain.passwords import PasswordHasher
from gateway.domain.principal import AccountKind
from gateway.domain.sessions import LoginSession, RefreshOutcome, RefreshUse, RevocationReason
from gateway.domain.throttling import LoginThrottle, Tally
from gateway.domain.tokens import Purpose, TokenCodec
from gateway.entrypoints.authentication import build_tools
from gateway.entrypoints.migrate import MIGRATIONS
from gateway.entrypoints.web import create_app
from gateway.entrypoints.worker import link_mailer
from gateway.service_layer import passwords
from gateway.service_layer.unit_of_work import IdentityTools, SqlUnitOfWork
from gateway.settings import Settings

UNREACHABLE_BROKER = "amqp://guest:guest@127.0.0.1:1/"
PASSWORD = "plum tree orchard at dawn"
CHEAP_HASHING = {"PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "64", "PASSWORD_HASH_PARALLELISM": "1"}
UNIT_SIGNING_KEY = "unit-test-signing-key-0123456789abcdef"
START = datetime(2026, 3, 14, 9, 26, 40, tzinfo=UTC)  # on a 30-second step boundary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# == unit tests: fakes of identity's ports =====================================================


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.broken = False

    def send(self, to: str, subject: str, text: str) -> None:
        if self.broken:
            raise MailNotSent("the fake mail server is down")
        self.sent.append((to, subject, text))

    def link_token(self) -> str:
        """The token of the link in the last message sent."""
        text = self.sent[-1][2]
        return text.split("token=", 1)[1].split()[0]


class FakeMfa:
    def __init__(self) -> None:
        self.credentials: dict[uuid.UUID, TotpCredential] = {}
        self.recovery: dict[tuple[uuid.UUID, str], datetime | None] = {}

    def enabled(self, account_id: uuid.UUID) -> bool:
        credential = self.credentials.get(account_id)
        return credential is not None and credential.confirmed

    def totp(self, account_id):
        return self.credentials.get(account_id)

    def put_pending(self, account_id, clinic_id, secret_sealed, now):
        if self.enabled(account_id):
            return False
        self.credentials[account_id] = TotpCredential(account_id, secret_sealed, False, None)
        return True

    def confirm(self, account_id, step, now):
        credential = self.credentials.get(account_id)
        if credential is None or credential.confirmed:
            return False
        self.credentials[account_id] = replace(credential, confirmed=True, last_used_step=step)
        return True

    def advance_step(self, account_id, step):
        credential = self.credentials.get(account_id)
        if credential is None or not credential.confirmed:
            return False
        if credential.last_used_step is not None and credential.last_used_step >= step:
            return False
        self.credentials[account_id] = replace(credential, last_used_step=step)
        return True

    def remove(self, account_id):
        was_enabled = self.enabled(account_id)
        self.credentials.pop(account_id, None)
        self.recovery = {key: used for key, used in self.recovery.items() if key[0] != account_id}
        return was_enabled

    def replace_recovery_codes(self, account_id, clinic_id, digests, now):
        self.recovery = {key: used for key, used in self.recovery.items() if key[0] != account_id}
        self.recovery.update({(account_id, digest): None for digest in digests})

    def use_recovery_code(self, account_id, digest, now):
        if (account_id, digest) not in self.recovery or self.recovery[(account_id, digest)] is not None:
            return False
        self.recovery[(account_id, digest)] = now
        return True


class FakeAccounts:
    def __init__(self, mfa: FakeMfa) -> None:
        self._mfa = mfa
        self.stored: dict[uuid.UUID, Account] = {}

    def get(self, account_id):
        return self._seen(self.stored.get(account_id))

    def by_email(self, email_key):
        return self._seen(next((a for a in self.stored.values() if a.email_key == email_key), None))

    def in_clinic(self, clinic_id, account_id):
        account = self.stored.get(account_id)
        return self._seen(account) if account is not None and account.clinic_id == clinic_id else None

    def add(self, account):
        if any(a.email_key == account.email_key for a in self.stored.values()):
            return False
        self.stored[account.id] = account
        return True

    def set_password(self, account_id, password_hash, now):
        self.stored[account_id] = replace(self.stored[account_id], password_hash=password_hash)

    def operator_exists(self):
        return any(a.kind is AccountKind.OPERATOR for a in self.stored.values())

    def _seen(self, account: Account | None) -> Account | None:
        return None if account is None else replace(account, mfa_enabled=self._mfa.enabled(account.id))


@dataclass
class _RefreshRecord:
    session_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None = None


class FakeSessions:
    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, LoginSession] = {}
        self.reasons: dict[uuid.UUID, RevocationReason] = {}
        self.refresh: dict[str, _RefreshRecord] = {}

    def add(self, session):
        self.stored[session.id] = session

    def get(self, session_id):
        return self.stored.get(session_id)

    def revoke(self, session_id, reason, now):
        session = self.stored.get(session_id)
        if session is None or not session.active:
            return False
        self.stored[session_id] = replace(session, revoked_at=now)
        self.reasons[session_id] = reason
        return True

    def revoke_all(self, account_id, reason, now, keep=None):
        doomed = [s.id for s in self.stored.values() if s.account_id == account_id and s.active and s.id != keep]
        for session_id in doomed:
            self.revoke(session_id, reason, now)
        return sorted(doomed)

    def mark_mfa_verified(self, session_id):
        self.stored[session_id] = replace(self.stored[session_id], mfa_verified=True)

    def forget_second_factor(self, account_id):
        for session in [s for s in self.stored.values() if s.account_id == account_id]:
            self.stored[session.id] = replace(session, mfa_verified=False)

    def add_refresh_token(self, digest, session_id, clinic_id, now, expires_at):
        self.refresh[digest] = _RefreshRecord(session_id, expires_at)

    def use_refresh_token(self, digest, now):
        record = self.refresh.get(digest)
        if record is None:
            return RefreshUse(RefreshOutcome.UNKNOWN)
        if record.used_at is not None:
            return RefreshUse(RefreshOutcome.REUSED, record.session_id)
        if record.expires_at <= now:
            return RefreshUse(RefreshOutcome.EXPIRED, record.session_id)
        record.used_at = now
        return RefreshUse(RefreshOutcome.ROTATED, record.session_id)

    def active_of(self, account_id: uuid.UUID) -> list[uuid.UUID]:
        return [s.id for s in self.stored.values() if s.account_id == account_id and s.active]


@dataclass
class _OneTimeRecord:
    account_id: uuid.UUID | None
    purpose: Purpose
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    mail_due: bool = False
    mail_claim: uuid.UUID | None = None
    mail_claimed_until: datetime | None = None
    mailed_at: datetime | None = None


class FakeSignUps:
    def __init__(self, tokens: FakeOneTimeTokens) -> None:
        self._tokens = tokens
        self.stored: dict[uuid.UUID, SignUp] = {}

    def add(self, sign_up):
        self.stored[sign_up.id] = sign_up

    def get(self, sign_up_id):
        return self.stored.get(sign_up_id)

    def remove(self, sign_up_id):
        self.stored.pop(sign_up_id, None)

    def drop_expired(self, now):
        expired = [i for i in self.stored if self._tokens.stored[i].expires_at <= now]
        for sign_up_id in expired:
            del self.stored[sign_up_id], self._tokens.stored[sign_up_id]
        return len(expired)


class FakeOneTimeTokens:
    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, _OneTimeRecord] = {}

    def add(self, token_id, account_id, clinic_id, purpose, now, expires_at, mail=False):
        self.stored[token_id] = _OneTimeRecord(account_id, purpose, now, expires_at, mail_due=mail)

    def consume(self, token_id, purpose, now):
        record = self.stored.get(token_id)
        if record is None or record.purpose != purpose or record.used_at is not None or record.expires_at <= now:
            return False
        record.used_at = now
        return True

    def consume_all(self, account_id, purposes, now):
        for record in self.stored.values():
            if record.account_id == account_id and record.purpose in set(purposes) and record.used_at is None:
                record.used_at = now

    def drop_unmailable(self, now):
        dropped = [(token_id, r) for token_id, r in self.stored.items()
                   if r.mail_due and (r.expires_at <= now or r.used_at is not None)]
        for _, record in dropped:
            record.mail_due, record.mail_claim, record.mail_claimed_until = False, None, None
        return [_due_link(token_id, record) for token_id, record in dropped]

    def claim_mail(self, now, lease, claim):
        due = [(token_id, r) for token_id, r in self.stored.items()
               if r.mail_due and r.used_at is None and r.expires_at > now
               and (r.mail_claimed_until is None or r.mail_claimed_until <= now)]
        if not due:
            return None
        token_id, record = min(due, key=lambda item: item[1].issued_at)
        record.mail_claim, record.mail_claimed_until = claim, now + lease
        return _due_link(token_id, record)

    def release_mail(self, token_id, claim):
        record = self.stored[token_id]
        if record.mail_claim == claim:
            record.mail_claim, record.mail_claimed_until = None, None

    def end_mail(self, token_id, claim, mailed_at):
        record = self.stored[token_id]
        if record.mail_claim != claim:
            return False
        record.mail_due, record.mail_claim, record.mail_claimed_until = False, None, None
        record.mailed_at = mailed_at
        return True

    def due(self) -> list[_OneTimeRecord]:
        """Test helper: the links still to be mailed."""
        return [record for record in self.stored.values() if record.mail_due]


def _due_link(token_id: uuid.UUID, record: _OneTimeRecord) -> DueLink:
    return DueLink(token_id, record.account_id, record.purpose, record.issued_at, record.expires_at)


class FakePolicies:
    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, ClinicSecurityPolicy] = {}
        self.concurrent_write: ClinicSecurityPolicy | None = None

    def get(self, clinic_id):
        return self.stored.get(clinic_id)

    def save(self, policy, expected_version):
        if self.concurrent_write is not None:
            self.stored[self.concurrent_write.clinic_id] = self.concurrent_write
            self.concurrent_write = None
        held = self.stored.get(policy.clinic_id)
        if (0 if held is None else held.version) != expected_version:
            return False
        self.stored[policy.clinic_id] = policy
        return True


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def add(self, entry):
        self.entries.append(entry)

    def newest(self, clinic_id, limit, before):
        chosen = [e for e in self.entries if e.clinic_id == clinic_id and (before is None or e.at < before)]
        return sorted(chosen, key=lambda e: (e.at, e.id), reverse=True)[:limit]

    def actions(self) -> list[str]:
        return [str(e.action) for e in self.entries]


class FakeLoginFailures:
    def __init__(self) -> None:
        self.stored: dict[str, Tally] = {}

    def record(self, subject, now, window_seconds):
        tally = self.stored.get(subject)
        if tally is None or tally.started_at <= now - window_seconds:
            tally = Tally(1, now)
        else:
            tally = Tally(tally.failures + 1, tally.started_at)
        self.stored[subject] = tally
        return tally

    def take_back(self, subject):
        tally = self.stored[subject]
        self.stored[subject] = Tally(tally.failures - 1, tally.started_at)

    def clear(self, subject):
        self.stored.pop(subject, None)


class FakeLinkRequests:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], tuple[int, float]] = {}  # (requests, started_at)

    def record(self, address_digest, purpose, now, window_seconds):
        requests, started_at = self.stored.get((address_digest, purpose), (0, now))
        if started_at <= now - window_seconds:
            requests, started_at = 0, now
        self.stored[(address_digest, purpose)] = (requests + 1, started_at)
        return requests + 1


class FakeUnitOfWork:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.mailer = FakeMailer()
        self.mfa = FakeMfa()
        self.accounts = FakeAccounts(self.mfa)
        self.sessions = FakeSessions()
        self.one_time_tokens = FakeOneTimeTokens()
        self.sign_ups = FakeSignUps(self.one_time_tokens)
        self.policies = FakePolicies()
        self.audit = FakeAudit()
        self.login_failures = FakeLoginFailures()
        self.link_requests = FakeLinkRequests()
        self.tools = IdentityTools(
            clock=clock,
            hasher=PasswordHasher(time_cost=1, memory_kib=8, parallelism=1),
            tokens=TokenCodec(UNIT_SIGNING_KEY),
            secret_box=SecretBox(SecretBox.new_key()),
            mailer=self.mailer,
            public_base_url="https://clinic.example",
            login_throttle=LoginThrottle(failures_per_account=5, failures_per_address=20, window_seconds=900),
        )

    # -- test helpers, not part of the port --

    def mail_links(self) -> int:
        """Run the worker's link-mail job once, as its timer does; the number of links mailed."""
        return passwords.mail_due_links(lambda: nullcontext(self))

    def add_account(self, kind: AccountKind = AccountKind.STAFF, clinic_id: uuid.UUID | None = None, *,
                    email: str | None = None, password: str | None = PASSWORD) -> Account:
        if clinic_id is None and kind is not AccountKind.OPERATOR:
            clinic_id = uuid.uuid4()
        email = email or f"{kind}-{uuid.uuid4().hex[:8]}@example.com"
        password_hash = None if password is None else self.tools.hasher.hash(password)
        account = Account.open(uuid7(), email, kind, clinic_id, f"A {kind}", self.clock(), password_hash)
        assert self.accounts.add(account)
        return account

    def enable_mfa(self, account: Account) -> bytes:
        """A confirmed authenticator (no step used yet); its secret, to compute codes with."""
        secret = totp.new_secret()
        self.mfa.put_pending(account.id, account.clinic_id, self.tools.secret_box.seal(totp.encode_secret(secret)),
                             self.clock())
        self.mfa.credentials[account.id] = replace(self.mfa.credentials[account.id], confirmed=True)
        return secret

    def code(self, secret: bytes, steps_from_now: int = 0) -> str:
        return totp.totp(secret, self.clock().timestamp() + steps_from_now * totp.STEP_SECONDS)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def uow(clock: FakeClock) -> FakeUnitOfWork:
    return FakeUnitOfWork(clock)


# == integration tests: the real database and app ==============================================


@pytest.fixture
def gateway_environment(monkeypatch) -> Callable[..., None]:
    """Point the gateway's settings at `url`; extra settings as keyword arguments (upper-cased)."""
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nobody listens there, unless `mail_sink` does
    monkeypatch.setenv("SMTP_SECURITY", "none")  # the test sinks speak plain SMTP
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name in ("TOKEN_SIGNING_KEY", "TOKEN_PREVIOUS_SIGNING_KEY", "MFA_ENCRYPTION_KEY", "TRUSTED_PROXY_COUNT",
                 "BOOTSTRAP_OPERATOR_EMAIL", "BOOTSTRAP_OPERATOR_PASSWORD"):
        monkeypatch.delenv(name, raising=False)

    def point_at(url: str, **settings: str) -> None:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("AMQP_URL", UNREACHABLE_BROKER)
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
        for name, value in {**CHEAP_HASHING, **{k.upper(): v for k, v in settings.items()}}.items():
            monkeypatch.setenv(name, value)

    return point_at


@pytest.fixture
def gateway_database(database_url: str, gateway_environment) -> str:
    gateway_environment(database_url)
    upgrade(MIGRATIONS, database_url)
    return database_url


@pytest.fixture
def build_gateway_app(gateway_environment) -> Iterator[Callable[[], Flask]]:
    """Build the gateway's app from the environment; engines are disposed after the test."""
    apps: list[Flask] = []

    def build() -> Flask:
        app = create_app()
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["sessions"].kw["bind"].dispose()


@pytest.fixture
def gateway_client(gateway_database: str, build_gateway_app) -> FlaskClient:
    return build_gateway_app().test_client()


class IdentitySeed:
    """Writes identity's rows directly (as the use cases would), for tests to start from."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)
        self.tools = build_tools(Settings(), self.engine)

    def account(self, kind: AccountKind | str = AccountKind.STAFF, clinic_id: uuid.UUID | None = None, *,
                email: str | None = None, password: str | None = PASSWORD) -> Account:
        kind = AccountKind(kind)
        if clinic_id is None and kind is not AccountKind.OPERATOR:
            clinic_id = uuid.uuid4()
        email = email or f"{kind}-{uuid.uuid4().hex[:8]}@example.com"
        password_hash = None if password is None else self.tools.hasher.hash(password)
        account = Account.open(uuid7(), email, kind, clinic_id, f"A {kind}", self.tools.clock(), password_hash)
        with transaction(self.sessions) as session:
            assert SqlUnitOfWork(session, self.tools).accounts.add(account)
        return account

    def enable_mfa(self, account: Account) -> bytes:
        """A confirmed authenticator whose every step so far counts as used; its secret."""
        secret = totp.new_secret()
        now = self.tools.clock()
        with transaction(self.sessions) as session:
            mfa = SqlUnitOfWork(session, self.tools).mfa
            mfa.put_pending(account.id, account.clinic_id, self.tools.secret_box.seal(totp.encode_secret(secret)), now)
            mfa.confirm(account.id, totp.time_step(now.timestamp()) - 2, now)
        return secret

    def require_mfa(self, clinic_id: uuid.UUID) -> None:
        policy = ClinicSecurityPolicy.default(clinic_id).require_mfa(True, None, self.tools.clock())
        with transaction(self.sessions) as session:
            assert SqlUnitOfWork(session, self.tools).policies.save(policy, 0)

    def audit(self, clinic_id: uuid.UUID | None, limit: int = 100) -> list[AuditEntry]:
        with transaction(self.sessions) as session:
            return SqlUnitOfWork(session, self.tools).audit.newest(clinic_id, limit, None)

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()

    def sign_in(self, client: FlaskClient, account: Account, password: str = PASSWORD) -> dict[str, str]:
        """Log in through the API; the Authorization header of the access token it answered."""
        response = client.post("/v1/auth/login", json={"email": account.email, "password": password})
        assert response.status_code == 200, response.get_data(as_text=True)
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


@pytest.fixture
def identity(gateway_database: str) -> Iterator[IdentitySeed]:
    seed = IdentitySeed(gateway_database)
    yield seed
    seed.engine.dispose()


@pytest.fixture
def mail_links(gateway_database: str) -> Iterator[Callable[[], int]]:
    """Run the worker's link-mail job once, as its timer does, with the settings of the moment (so
    `mail_sink` may come in any order); the number of links mailed."""
    engine = make_engine(gateway_database)
    yield lambda: link_mailer(engine, Settings())()
    engine.dispose()


@dataclass
class MailSink:
    port: int
    messages: list[Message]
    delay: float = 0.0  # seconds the server takes to accept a message

    def last_link_token(self) -> str:
        body = self.messages[-1].get_payload(decode=True).decode()
        return body.split("token=", 1)[1].split()[0]

    def recipients(self) -> list[str]:
        return [message["To"] for message in self.messages]


@pytest.fixture
def mail_sink(monkeypatch, gateway_environment) -> Iterator[MailSink]:
    """A real SMTP server on a free port, keeping what it receives; SMTP_PORT points at it."""
    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    sink = MailSink(free_port(), [])

    class Keep:
        async def handle_DATA(self, server, session, envelope) -> str:
            await asyncio.sleep(sink.delay)
            with lock:
                sink.messages.append(message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    controller = Controller(Keep(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(sink.port))
    try:
        yield sink
    finally:
        controller.stop()

