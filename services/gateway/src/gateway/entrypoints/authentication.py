"""Who is calling: the bearer access token, checked before every request.

`install_identity(app, settings, engine)` sets it up (web.py calls it once). Before each
request the `Authorization: Bearer <token>` header, when present, is verified: signature and
key id, expiry, issuer and audience, and that its session was not revoked (one primary-key
lookup, on a connection of its own so it never holds the request's transaction open).

In a view:
    current_principal()   the Principal, or a 401 problem (with WWW-Authenticate: Bearer) when
                          the token is missing, expired, tampered with or its session revoked;
    optional_principal()  the Principal, or None without a token (a bad token is still 401);
    request_uow()         identity's unit of work in the request's transaction (`db()`);
    committed_uow()       one whose transaction commits whatever the answer, for use cases that
                          return a refusal that must be remembered (failed logins and the like).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clinic_runtime import context
from clinic_runtime.db import transaction, utcnow
from clinic_runtime.web import db
from gateway.adapters.accounts import MFA_ENCRYPTION_KEY, TOKEN_SIGNING_KEY, SqlGatewayKeys, SqlSessions
from gateway.adapters.mailer import SmtpMailer
from gateway.domain.encryption import SecretBox
from gateway.domain.passwords import PasswordHasher
from gateway.domain.principal import Principal
from gateway.domain.tokens import TokenCodec, TokenExpired, TokenRefused
from gateway.entrypoints.problems import ProblemWithHeaders, render
from gateway.entrypoints.rate_limits import install_rate_limits
from gateway.service_layer.unit_of_work import IdentityTools, SqlUnitOfWork
from gateway.settings import Settings

REALM = 'Bearer realm="clinic-platform"'


def install_identity(app: Flask, settings: Settings, engine: Engine) -> None:
    app.extensions["identity"] = _LazyTools(settings, engine)
    install_rate_limits(app, settings, engine)
    app.before_request(_authenticate)
    app.register_error_handler(ProblemWithHeaders, render)


def build_tools(settings: Settings, engine: Engine) -> IdentityTools:
    """The tools identity's use cases need; keys from settings, else those gateway-migrate made."""
    # Read in autocommit: on SQLite that takes no write lock, so tools first needed in the middle of
    # a request (a guest's booking signs its token after writing) never wait for its own transaction.
    with Session(engine.execution_options(isolation_level="AUTOCOMMIT")) as session:
        stored = SqlGatewayKeys(session)
        signing_key = _secret(settings.token_signing_key) or stored.get(TOKEN_SIGNING_KEY)
        encryption_key = _secret(settings.mfa_encryption_key) or stored.get(MFA_ENCRYPTION_KEY)
    if signing_key is None or encryption_key is None:
        raise RuntimeError("the gateway has no keys: run gateway-migrate first, or set TOKEN_SIGNING_KEY and "
                           "MFA_ENCRYPTION_KEY")
    previous = _secret(settings.token_previous_signing_key)
    return IdentityTools(
        clock=utcnow,
        hasher=PasswordHasher(settings.password_hash_time_cost, settings.password_hash_memory_kib,
                              settings.password_hash_parallelism),
        tokens=TokenCodec(signing_key, [previous] if previous else []),
        secret_box=SecretBox(encryption_key),
        mailer=SmtpMailer.relaying_to(settings),
        public_base_url=settings.public_base_url,
        login_throttle=settings.login_throttle(),
    )


def identity_tools() -> IdentityTools:
    return current_app.extensions["identity"].get()


def request_uow() -> SqlUnitOfWork:
    return SqlUnitOfWork(db(), identity_tools())


@contextmanager
def committed_uow() -> Iterator[SqlUnitOfWork]:
    """A unit of work of its own transaction, committed when the block ends without raising,
    whatever the response then is. Never use it in a request that has used `db()`: on SQLite
    the second writer would wait for the first."""
    with transaction(current_app.extensions["sessions"]) as session:
        yield SqlUnitOfWork(session, identity_tools())


def current_principal() -> Principal:
    principal = optional_principal()
    if principal is None:
        raise _unauthenticated("Send an access token: Authorization: Bearer <token>.", REALM)
    return principal


def optional_principal() -> Principal | None:
    failure = g.get("authentication_failure")
    if failure is not None:
        raise _unauthenticated(failure, f'{REALM}, error="invalid_token"')
    return g.get("principal")


def _authenticate() -> None:
    g.principal = None
    g.authentication_failure = None
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        g.authentication_failure = "Send the access token as: Authorization: Bearer <token>."
        return
    tools = identity_tools()
    try:
        claims = tools.tokens.read_access_token(token.strip(), tools.clock())
    except TokenExpired:
        g.authentication_failure = "The access token expired: refresh it, or log in again."
        return
    except TokenRefused:
        g.authentication_failure = "The access token is not valid."
        return
    with current_app.extensions["sessions"]() as session:
        login_session = SqlSessions(session).get(claims.session_id)
    if login_session is None or not login_session.active:
        g.authentication_failure = "The session of this access token has ended: log in again."
        return
    # The session, not the token, says whether a second factor still stands: removing one takes
    # effect at once, not when the token expires.
    g.principal = Principal(claims.account_id, claims.kind, claims.clinic_id, claims.session_id,
                            claims.mfa_verified and login_session.mfa_verified)
    g.idempotency_caller = str(claims.account_id)
    context.bind_log_fields(account_id=str(claims.account_id))


def _unauthenticated(detail: str, challenge: str) -> ProblemWithHeaders:
    return ProblemWithHeaders(401, "unauthenticated", "Authentication required.", detail,
                              headers={"WWW-Authenticate": challenge})


def _secret(value: SecretStr | None) -> str | None:
    """A secret setting's value; None when unset or empty."""
    if value is None or not value.get_secret_value():
        return None
    return value.get_secret_value()


class _LazyTools:
    """Built on first use, not at import: the app can be created before its database is ready."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._tools: IdentityTools | None = None
        self._lock = threading.Lock()

    def get(self) -> IdentityTools:
        if self._tools is None:
            with self._lock:
                if self._tools is None:
                    self._tools = build_tools(self._settings, self._engine)
        return self._tools
