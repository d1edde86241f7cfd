"""Whatever works once works once even when requests race: a refresh token, an authenticator
code, a recovery code, a reset link. Each race runs on PostgreSQL and SQLite."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.domain import totp

pytestmark = pytest.mark.integration

PASSWORD = "plum tree orchard at dawn"
RACERS = 6


def race(app, request) -> list[int]:
    """`request(client)` sent by RACERS clients at once; their status codes."""
    clients = [app.test_client() for _ in range(RACERS)]
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return sorted(pool.map(lambda client: request(client).status_code, clients))


@pytest.fixture
def app(gateway_database, gateway_environment, build_gateway_app):
    # The races come from one address: the routes' rate limits must not be what refuses them.
    gateway_environment(gateway_database, rate_limit_login="1000/minute", rate_limit_password_reset="1000/minute")
    return build_gateway_app()


def test_a_refresh_token_raced_is_exchanged_once(app, identity):
    account = identity.account()
    tokens = app.test_client().post("/v1/auth/login", json={"email": account.email, "password": PASSWORD}).get_json()

    statuses = race(app, lambda c: c.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}))

    assert statuses == [200] + [401] * (RACERS - 1)


def challenges(app, account, count: int) -> list[str]:
    client = app.test_client()
    return [client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD}).get_json()["mfa_token"]
            for _ in range(count)]


def test_one_authenticator_code_raced_opens_one_session(app, identity):
    account = identity.account()
    secret = identity.enable_mfa(account)
    tokens = iter(challenges(app, account, RACERS))
    code = totp.totp(secret, time.time())

    statuses = race(app, lambda c: c.post("/v1/auth/login/mfa", json={"mfa_token": next(tokens), "code": code}))

    assert statuses == [200] + [401] * (RACERS - 1)


def test_one_recovery_code_raced_opens_one_session(app, identity):
    account = identity.account()
    headers = identity.sign_in(app.test_client(), account)
    client = app.test_client()
    secret = totp.decode_secret(client.post("/v1/me/mfa/totp", headers=headers).get_json()["secret"])
    recovery = client.post("/v1/me/mfa/totp/confirm", headers=headers,
                           json={"code": totp.totp(secret, time.time())}).get_json()["recovery_codes"][0]
    tokens = iter(challenges(app, account, RACERS))

    statuses = race(app, lambda c: c.post("/v1/auth/login/mfa", json={"mfa_token": next(tokens),
                                                                      "recovery_code": recovery}))

    assert statuses == [200] + [401] * (RACERS - 1)


def test_one_reset_link_raced_sets_one_password(mail_sink, app, identity, mail_links):
    account = identity.account()
    app.test_client().post("/v1/auth/password-reset", json={"email": account.email})
    mail_links()
    token = mail_sink.last_link_token()
    passwords = iter(f"a brand new password no. {n}" for n in range(RACERS))

    statuses = race(app, lambda c: c.post("/v1/auth/password-reset/confirm",
                                          json={"token": token, "new_password": next(passwords)}))

    assert statuses == [204] + [422] * (RACERS - 1)
