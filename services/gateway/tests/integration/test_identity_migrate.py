"""gateway-migrate: the schema, the keys it generates once, and the first platform operator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import jwt
import pytest
import sqlalchemy as sa
from alembic import command

from clinic_runtime.migrations import alembic_config
from gateway.adapters import orm
from gateway.adapters.accounts import MFA_ENCRYPTION_KEY, TOKEN_SIGNING_KEY
from gateway.domain.tokens import TokenCodec, key_id
from gateway.entrypoints import migrate

pytestmark = pytest.mark.integration

OPERATOR_PASSWORD = "a long operator passphrase"


def stored_keys(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT name, value FROM gateway_keys")).all()
    engine.dispose()
    return dict(rows)


def operators(url: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, email FROM accounts WHERE kind = 'operator'")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


@pytest.fixture
def bootstrap_settings(database_url, gateway_environment):
    gateway_environment(database_url, bootstrap_operator_email="Ops@Example.com",
                        bootstrap_operator_password=OPERATOR_PASSWORD)
    return database_url


def test_the_first_migration_generates_a_signing_key_and_an_encryption_key_once(database_url, gateway_environment):
    gateway_environment(database_url)
    migrate.main()
    first = stored_keys(database_url)
    migrate.main()

    assert set(first) == {TOKEN_SIGNING_KEY, MFA_ENCRYPTION_KEY}
    assert len(first[TOKEN_SIGNING_KEY]) >= 32
    assert stored_keys(database_url) == first


def test_migrating_creates_the_first_operator_from_settings_once(bootstrap_settings, capsys):
    migrate.main()
    migrate.main()

    [(operator_id, email)] = operators(bootstrap_settings)
    assert email == "Ops@Example.com"
    printed = capsys.readouterr().out
    assert printed.count("created the first platform operator") == 1
    assert str(uuid.UUID(str(operator_id))) in printed and "Ops@" not in printed


def test_the_first_operator_logs_in(bootstrap_settings, build_gateway_app):
    migrate.main()
    client = build_gateway_app().test_client()
    response = client.post("/v1/auth/login", json={"email": "ops@example.com", "password": OPERATOR_PASSWORD})
    assert response.status_code == 200
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {response.get_json()['access_token']}"}).get_json()
    assert (me["kind"], me["clinic_id"]) == ("operator", None)


def test_without_a_bootstrap_address_no_operator_is_made(database_url, gateway_environment):
    gateway_environment(database_url)
    migrate.main()
    assert operators(database_url) == []


def test_an_address_without_a_password_stops_the_migration_with_a_message(database_url, gateway_environment):
    gateway_environment(database_url, bootstrap_operator_email="ops@example.com")
    with pytest.raises(SystemExit, match="BOOTSTRAP_OPERATOR_PASSWORD is not"):
        migrate.main()


def test_a_weak_operator_password_stops_the_migration_without_repeating_it(database_url, gateway_environment):
    gateway_environment(database_url, bootstrap_operator_email="ops@example.com",
                        bootstrap_operator_password="password1234")
    with pytest.raises(SystemExit) as stopped:
        migrate.main()
    assert "password: is one of the most common passwords" in str(stopped.value)
    assert "password1234" not in str(stopped.value)
    assert operators(database_url) == []


def test_the_web_app_signs_with_the_generated_key(gateway_client, gateway_database, identity):
    account = identity.account()
    token = identity.sign_in(gateway_client, account)["Authorization"].removeprefix("Bearer ")
    generated = stored_keys(gateway_database)[TOKEN_SIGNING_KEY]
    assert TokenCodec(generated).read_access_token(token, identity.tools.clock()).account_id == account.id


def test_a_configured_signing_key_takes_precedence(gateway_database, gateway_environment, build_gateway_app, identity):
    configured = "a-configured-signing-key-from-a-secret-0123"
    gateway_environment(gateway_database, token_signing_key=configured)
    client = build_gateway_app().test_client()
    account = identity.account()

    token = identity.sign_in(client, account)["Authorization"].removeprefix("Bearer ")

    assert TokenCodec(configured).read_access_token(token, identity.tools.clock()).account_id == account.id
    assert jwt.get_unverified_header(token)["kid"] == key_id(configured)


def test_a_rotated_key_keeps_the_previous_keys_tokens_valid(gateway_database, gateway_environment,
                                                            build_gateway_app, identity):
    account = identity.account()
    before = build_gateway_app().test_client()
    old_token = identity.sign_in(before, account)
    gateway_environment(gateway_database, token_signing_key="the-new-signing-key-after-rotation-0123",
                        token_previous_signing_key=stored_keys(gateway_database)[TOKEN_SIGNING_KEY])

    after = build_gateway_app().test_client()

    assert after.get("/v1/me", headers=old_token).status_code == 200


def test_the_identity_revision_downgrades_and_upgrades_again(gateway_database):
    config = alembic_config(migrate.MIGRATIONS, gateway_database)
    command.downgrade(config, "0001")
    engine = sa.create_engine(gateway_database)
    assert "accounts" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    command.upgrade(config, "head")
    assert set(stored_keys(gateway_database)) == {TOKEN_SIGNING_KEY, MFA_ENCRYPTION_KEY}


def test_sign_ups_the_version_before_kept_as_unconfirmed_accounts_are_removed_with_their_links(gateway_database):
    config = alembic_config(migrate.MIGRATIONS, gateway_database)
    command.downgrade(config, "0005")
    engine = sa.create_engine(gateway_database)
    kept, removed = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for account_id, status in ((kept, "active"), (removed, "unconfirmed")):
            connection.execute(sa.insert(orm.accounts).values(
                id=account_id, clinic_id=uuid.uuid4(), kind="patient", email=f"{status}@example.com",
                email_key=f"{status}@example.com", display_name="P", password_hash="h", status=status,
                created_at=now, updated_at=now))
            connection.execute(sa.insert(orm.one_time_tokens).values(
                id=uuid.uuid4(), account_id=account_id, purpose="registration", created_at=now, expires_at=now))

    command.upgrade(config, "head")

    with engine.connect() as connection:
        accounts = connection.execute(sa.text("SELECT status FROM accounts WHERE kind = 'patient'")).scalars().all()
        links = connection.execute(sa.text("SELECT count(*) FROM one_time_tokens")).scalar_one()
    engine.dispose()
    assert (accounts, links) == (["active"], 1)
