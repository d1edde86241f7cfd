"""Identity over HTTP on the real database (PostgreSQL and SQLite): login, the access token
checked on every request, refresh, logout, password change."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import pytest

from gateway.domain.principal import AccountKind
from gateway.domain.tokens import TokenCodec

pytestmark = pytest.mark.integration

PASSWORD = "plum tree orchard at dawn"
PROBLEMS = "https://problems.clinic-platform.dev/"


def problem(response) -> dict:
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    return response.get_json(force=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_in(client, email, password=PASSWORD):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


# -- login ------------------------------------------------------------------------------------


def test_login_answers_a_bearer_access_token_and_a_refresh_token_never_to_be_cached(gateway_client, identity):
    account = identity.account(AccountKind.STAFF)

    response = log_in(gateway_client, account.email)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_access_token_opens_me(gateway_client, identity):
    account = identity.account(AccountKind.PROVIDER, email="Dr.Ana@Example.com")
    token = log_in(gateway_client, "dr.ana@example.com").get_json()["access_token"]

    me = gateway_client.get("/v1/me", headers=bearer(token))

    assert me.status_code == 200
    assert me.get_json() == {
        "id": str(account.id), "kind": "provider", "clinic_id": str(account.clinic_id), "email": "Dr.Ana@Example.com",
        "display_name": "A provider", "status": "active", "mfa_enabled": False, "mfa_required": False,
        "mfa_verified": False,
    }


def test_a_wrong_password_and_an_unknown_address_get_the_same_401(gateway_client, identity):
    account = identity.account()

    wrong = log_in(gateway_client, account.email, "not the password at all")
    unknown = log_in(gateway_client, "nobody@example.com")

    assert wrong.status_code == unknown.status_code == 401
    assert problem(wrong) == {**problem(unknown)}
    assert problem(wrong)["type"] == PROBLEMS + "invalid-credentials"
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("body", "fields"), [
    ({"email": "a@example.com"}, {"password"}),
    ({"password": PASSWORD}, {"email"}),
    ({"email": "a@example.com", "password": "p" * 1025}, {"password"}),
])
def test_a_malformed_login_is_a_422_per_field_and_writes_nothing(gateway_client, identity, body, fields):
    response = gateway_client.post("/v1/auth/login", json=body)
    assert response.status_code == 422
    assert {error["field"] for error in problem(response)["errors"]} == fields
    assert identity.count("access_audit") == 0 and identity.count("login_failures") == 0


def test_a_failed_login_is_remembered_although_the_answer_is_401(gateway_client, identity):
    account = identity.account()
    log_in(gateway_client, account.email, "not the password at all")

    [entry] = identity.audit(account.clinic_id)

    assert (entry.action, entry.subject_id, entry.after, entry.client_address) == (
        "login.failed", account.id, {"reason": "wrong_password"}, "127.0.0.1")
    assert identity.count("login_failures") == 2


# -- the access token on every request --------------------------------------------------------


def signed_in(gateway_client, identity):
    account = identity.account()
    return account, log_in(gateway_client, account.email).get_json()


def assert_refused(response, detail_part: str) -> None:
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="clinic-platform", error="invalid_token"'
    body = problem(response)
    assert body["type"] == PROBLEMS + "unauthenticated"
    assert detail_part in body["detail"]


def test_no_token_is_a_401_with_a_bearer_challenge(gateway_client, identity):
    response = gateway_client.get("/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="clinic-platform"'
    assert problem(response)["type"] == PROBLEMS + "unauthenticated"


def test_an_expired_token_is_refused(gateway_client, identity):
    account, _ = signed_in(gateway_client, identity)
    session_id = identity.audit(account.clinic_id)[0].after["session_id"]
    past = identity.tools.clock() - timedelta(minutes=6)
    expired, _ = identity.tools.tokens.access_token(account.id, account.kind, account.clinic_id,
                                                    uuid.UUID(session_id), False, past)

    assert_refused(gateway_client.get("/v1/me", headers=bearer(expired)), "expired")


def test_a_tampered_token_is_refused(gateway_client, identity):
    _, tokens = signed_in(gateway_client, identity)
    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["kind"] = "operator"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    assert_refused(gateway_client.get("/v1/me", headers=bearer(f"{header}.{forged}.{signature}")), "not valid")


def test_a_token_signed_with_another_key_is_refused(gateway_client, identity):
    account, _ = signed_in(gateway_client, identity)
    foreign, _ = TokenCodec("x" * 48).access_token(account.id, account.kind, account.clinic_id, uuid.uuid4(), True,
                                                   identity.tools.clock())
    assert_refused(gateway_client.get("/v1/me", headers=bearer(foreign)), "not valid")


def test_a_token_of_a_revoked_session_is_refused_at_once(gateway_client, identity):
    _, tokens = signed_in(gateway_client, identity)
    assert gateway_client.post("/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204

    assert_refused(gateway_client.get("/v1/me", headers=bearer(tokens["access_token"])), "ended")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(gateway_client, identity, header):
    assert_refused(gateway_client.get("/v1/me", headers={"Authorization": header}), "Bearer")


def test_a_stale_token_does_not_stop_anyone_from_logging_in_again(gateway_client, identity):
    account, tokens = signed_in(gateway_client, identity)
    gateway_client.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))
    response = gateway_client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD},
                                   headers=bearer(tokens["access_token"]))
    assert response.status_code == 200


# -- refresh and logout -----------------------------------------------------------------------


def test_a_refresh_rotates_the_refresh_token(gateway_client, identity):
    _, tokens = signed_in(gateway_client, identity)

    refreshed = gateway_client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert refreshed.status_code == 200
    assert refreshed.get_json()["refresh_token"] != tokens["refresh_token"]
    assert gateway_client.get("/v1/me", headers=bearer(refreshed.get_json()["access_token"])).status_code == 200


def test_a_reused_refresh_token_is_refused_and_ends_the_session_for_everyone(gateway_client, identity):
    account, tokens = signed_in(gateway_client, identity)
    thief = gateway_client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).get_json()

    reuse = gateway_client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})

    assert reuse.status_code == 401
    assert problem(reuse)["type"] == PROBLEMS + "invalid-refresh-token"
    assert gateway_client.get("/v1/me", headers=bearer(thief["access_token"])).status_code == 401
    assert gateway_client.post("/v1/auth/refresh", json={"refresh_token": thief["refresh_token"]}).status_code == 401
    assert identity.audit(account.clinic_id)[0].after["reason"] == "refresh_token_reused"


def test_logout_needs_a_token(gateway_client, identity):
    assert gateway_client.post("/v1/auth/logout").status_code == 401


def test_logout_ends_the_sessions_refresh_token_too(gateway_client, identity):
    _, tokens = signed_in(gateway_client, identity)
    gateway_client.post("/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert gateway_client.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


# -- password change --------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(gateway_client, identity):
    account = identity.account()
    here = log_in(gateway_client, account.email).get_json()
    elsewhere = log_in(gateway_client, account.email).get_json()

    response = gateway_client.post("/v1/auth/password", headers=bearer(here["access_token"]),
                                   json={"current_password": PASSWORD, "new_password": "lantern by the river bend"})

    assert response.status_code == 200 and response.get_json() == {"other_sessions_revoked": 1}
    assert gateway_client.get("/v1/me", headers=bearer(here["access_token"])).status_code == 200
    assert gateway_client.get("/v1/me", headers=bearer(elsewhere["access_token"])).status_code == 401
    assert log_in(gateway_client, account.email, "lantern by the river bend").status_code == 200


def test_a_wrong_current_password_is_403_and_a_weak_new_one_422(gateway_client, identity):
    account = identity.account()
    token = log_in(gateway_client, account.email).get_json()["access_token"]

    wrong = gateway_client.post("/v1/auth/password", headers=bearer(token),
                                json={"current_password": "nope nope nope", "new_password": "lantern by the river"})
    weak = gateway_client.post("/v1/auth/password", headers=bearer(token),
                               json={"current_password": PASSWORD, "new_password": "password1234"})

    assert wrong.status_code == 403 and problem(wrong)["type"] == PROBLEMS + "wrong-password"
    assert weak.status_code == 422
    assert problem(weak)["errors"] == [{"field": "new_password",
                                        "message": "is one of the most common passwords; choose another"}]
    assert log_in(gateway_client, account.email).status_code == 200
