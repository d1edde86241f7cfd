"""Brings gateway's database to the newest schema, then creates the first platform operator
from BOOTSTRAP_OPERATOR_EMAIL / BOOTSTRAP_OPERATOR_PASSWORD when no operator exists yet.

Running it again changes nothing: the schema is current and an operator exists.
"""

from __future__ import annotations

from pathlib import Path

from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.migrations import upgrade
from gateway.domain.identity import Account
from gateway.entrypoints.authentication import build_tools
from gateway.service_layer import accounts
from gateway.service_layer.unit_of_work import SqlUnitOfWork
from gateway.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class BootstrapFailed(Exception):
    pass


def main() -> None:
    settings = Settings()
    upgrade(MIGRATIONS, settings.resolved_database_url())
    try:
        operator = bootstrap_first_operator(settings)
    except BootstrapFailed as failed:
        raise SystemExit(f"gateway-migrate: {failed}") from None
    if operator is not None:
        print(f"gateway-migrate: created the first platform operator (account {operator.id})")


def bootstrap_first_operator(settings: Settings) -> Account | None:
    """The first operator, or None when BOOTSTRAP_OPERATOR_EMAIL is empty or an operator exists."""
    email = settings.bootstrap_operator_email.strip()
    if not email:
        return None
    password = settings.bootstrap_operator_password
    if password is None or not password.get_secret_value():
        raise BootstrapFailed("BOOTSTRAP_OPERATOR_EMAIL is set but BOOTSTRAP_OPERATOR_PASSWORD is not")
    engine = make_engine(settings.resolved_database_url())
    try:
        sessions = make_session_factory(engine)
        tools = build_tools(settings, engine)
        with transaction(sessions) as session:
            return accounts.bootstrap_operator(SqlUnitOfWork(session, tools), email, password.get_secret_value())
    except accounts.InvalidAccount as invalid:
        raise BootstrapFailed(f"the first operator cannot be created: {invalid}") from None
    except accounts.EmailTaken:
        raise BootstrapFailed("another account has BOOTSTRAP_OPERATOR_EMAIL already") from None
    finally:
        engine.dispose()
