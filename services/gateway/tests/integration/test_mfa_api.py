"""MFA over HTTP on the real database: enrolment, the second login step, codes refused when
wrong, replayed or stale, recovery codes used once, and a clinic that requires MFA."""

from __future__ import annotations

import time

import pytest

from gateway.domain import totp
from gateway.domain.principal import AccountKind

pytestmark = pytest.mark.integration

PASSWORD = "plum tree orchard at dawn"
PROBLEMS = "https://problems.clinic-platform.dev/"
ARABIC_INDIC = "\u0661\u0662\u0663\u0664\u0665\u0666"  # six digits to str.isdigit(), none of them ASCII


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code(secret: bytes, steps_from_now: int = 0) -> str:
    return totp.totp(secret, time.time() + steps_from_now * totp.STEP_SECONDS)


def challenge(client, account) -> str:
    response = client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["mfa_required"] is True and set(body) == {"mfa_required", "mfa_token", "expires_in"}
    return body["mfa_token"]


def second_step(client, account, **proof):
    return client.post("/v1/auth/login/mfa", json={"mfa_token": challenge(client, account), **proof})


def enrolled(client, identity, account) -> tuple[dict[str, str], bytes, list[str]]:
    """Enrol through the API: the session's headers, the secret, the recovery codes."""
    headers = identity.sign_in(client, account)
    secret = totp.decode_secret(client.post("/v1/me/mfa/totp", headers=headers).get_json()["secret"])
    confirmed = client.post("/v1/me/mfa/totp/confirm", headers=headers, json={"code": code(secret)})
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    return headers, secret, confirmed.get_json()["recovery_codes"]


# -- enrolment --------------------------------------------------------------------------------


def test_enrolling_and_confirming_turns_mfa_on_and_shows_recovery_codes_once(gateway_client, identity):
    account = identity.account()
    headers = identity.sign_in(gateway_client, account)

    started = gateway_client.post("/v1/me/mfa/totp", headers=headers)
    secret = totp.decode_secret(started.get_json()["secret"])
    confirmed = gateway_client.post("/v1/me/mfa/totp/confirm", headers=headers, json={"code": code(secret)})

    assert started.status_code == 200 and started.headers["Cache-Control"] == "no-store"
    assert started.get_json()["otpauth_uri"].startswith("otpauth://totp/")
    assert confirmed.status_code == 200 and confirmed.headers["Cache-Control"] == "no-store"
    assert len(set(confirmed.get_json()["recovery_codes"])) == 10
    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_enabled"] is True
    assert identity.audit(account.clinic_id)[0].action == "mfa.enrolled"
    assert identity.count("recovery_codes") == 10


def test_the_secret_is_stored_encrypted(gateway_client, identity):
    headers = identity.sign_in(gateway_client, identity.account())
    secret = gateway_client.post("/v1/me/mfa/totp", headers=headers).get_json()["secret"]
    with identity.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT secret_sealed FROM totp_credentials").scalar_one()
    assert secret not in stored
    assert identity.tools.secret_box.open(stored) == secret


def test_a_wrong_confirmation_code_is_a_422_and_mfa_stays_off(gateway_client, identity):
    headers = identity.sign_in(gateway_client, identity.account())
    secret = totp.decode_secret(gateway_client.post("/v1/me/mfa/totp", headers=headers).get_json()["secret"])

    response = gateway_client.post("/v1/me/mfa/totp/confirm", headers=headers, json={"code": code(secret, -3)})

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "code"
    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_enabled"] is False


def test_a_confirmation_code_of_non_ascii_digits_is_a_422(gateway_client, identity):
    headers = identity.sign_in(gateway_client, identity.account())
    gateway_client.post("/v1/me/mfa/totp", headers=headers)

    response = gateway_client.post("/v1/me/mfa/totp/confirm", headers=headers, json={"code": ARABIC_INDIC})

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "code"


def test_confirming_without_a_pending_enrolment_is_a_409(gateway_client, identity):
    headers = identity.sign_in(gateway_client, identity.account())
    response = gateway_client.post("/v1/me/mfa/totp/confirm", headers=headers, json={"code": "123456"})
    assert response.status_code == 409
    assert response.get_json()["type"] == PROBLEMS + "no-pending-enrolment"


def test_enrolling_again_with_mfa_on_is_a_409(gateway_client, identity):
    headers, _, _ = enrolled(gateway_client, identity, identity.account())
    response = gateway_client.post("/v1/me/mfa/totp", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["type"] == PROBLEMS + "mfa-already-enabled"


def test_mfa_routes_need_a_token(gateway_client, identity):
    assert gateway_client.post("/v1/me/mfa/totp").status_code == 401
    assert gateway_client.post("/v1/me/mfa/totp/confirm", json={"code": "123456"}).status_code == 401
    assert gateway_client.delete("/v1/me/mfa", json={"password": PASSWORD, "code": "123456"}).status_code == 401


# -- the second login step --------------------------------------------------------------------


def test_the_next_code_finishes_the_login_with_an_mfa_verified_token(gateway_client, identity):
    account = identity.account()
    _, secret, _ = enrolled(gateway_client, identity, account)

    response = second_step(gateway_client, account, code=code(secret, 1))

    assert response.status_code == 200
    me = gateway_client.get("/v1/me", headers=bearer(response.get_json()["access_token"])).get_json()
    assert me["mfa_verified"] is True


def test_a_wrong_code_is_refused(gateway_client, identity):
    account = identity.account()
    secret = identity.enable_mfa(account)
    window = {code(secret, steps) for steps in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)

    response = second_step(gateway_client, account, code=wrong)

    assert response.status_code == 401
    assert response.get_json()["type"] == PROBLEMS + "invalid-second-factor"


def test_a_replayed_code_is_refused(gateway_client, identity):
    account = identity.account()
    secret = identity.enable_mfa(account)
    used = code(secret)
    assert second_step(gateway_client, account, code=used).status_code == 200

    replay = second_step(gateway_client, account, code=used)

    assert replay.status_code == 401
    assert replay.get_json()["type"] == PROBLEMS + "invalid-second-factor"


def test_a_code_two_steps_old_is_refused(gateway_client, identity):
    account = identity.account()
    secret = identity.enable_mfa(account)
    assert second_step(gateway_client, account, code=code(secret, -2)).status_code == 401


def test_a_recovery_code_works_once(gateway_client, identity):
    account = identity.account()
    _, _, recovery_codes = enrolled(gateway_client, identity, account)

    first = second_step(gateway_client, account, recovery_code=recovery_codes[0])
    again = second_step(gateway_client, account, recovery_code=recovery_codes[0])

    assert first.status_code == 200
    assert again.status_code == 401
    assert again.get_json()["type"] == PROBLEMS + "invalid-second-factor"


def test_an_mfa_token_works_once_even_when_the_code_was_wrong(gateway_client, identity):
    account = identity.account()
    secret = identity.enable_mfa(account)
    mfa_token = challenge(gateway_client, account)
    gateway_client.post("/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": "000000"})

    again = gateway_client.post("/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code(secret)})

    assert again.status_code == 401
    assert again.get_json()["type"] == PROBLEMS + "invalid-mfa-token"


@pytest.mark.parametrize("proof", [{"code": ARABIC_INDIC}, {"recovery_code": "\uff41\uff42\uff43\uff44-\u0661\u0662"}])
def test_a_proof_of_non_ascii_characters_is_refused_and_spends_the_mfa_token(gateway_client, identity, proof):
    account = identity.account()
    secret = identity.enable_mfa(account)
    mfa_token = challenge(gateway_client, account)

    refused = gateway_client.post("/v1/auth/login/mfa", json={"mfa_token": mfa_token, **proof})
    again = gateway_client.post("/v1/auth/login/mfa", json={"mfa_token": mfa_token, "code": code(secret)})

    assert refused.status_code == 401
    assert refused.get_json()["type"] == PROBLEMS + "invalid-second-factor"
    assert again.get_json()["type"] == PROBLEMS + "invalid-mfa-token"
    assert identity.count("login_failures") == 2  # the account and the address


@pytest.mark.parametrize("proof", [{}, {"code": "123456", "recovery_code": "abcd-efgh-jkmn-pqrs"}])
def test_exactly_one_proof_is_sent(gateway_client, identity, proof):
    account = identity.account()
    identity.enable_mfa(account)
    response = gateway_client.post("/v1/auth/login/mfa", json={"mfa_token": challenge(gateway_client, account),
                                                               **proof})
    assert response.status_code == 422


def test_wrong_codes_count_towards_the_failed_login_throttle(gateway_client, identity):
    account = identity.account()
    secret = identity.enable_mfa(account)
    window = {code(secret, steps) for steps in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
    for _ in range(5):
        second_step(gateway_client, account, code=wrong)

    throttled = gateway_client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD})

    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0


# -- turning MFA off --------------------------------------------------------------------------


def test_mfa_is_turned_off_with_the_password_and_a_recovery_code(gateway_client, identity):
    account = identity.account()
    headers, _, recovery_codes = enrolled(gateway_client, identity, account)

    response = gateway_client.delete("/v1/me/mfa", headers=headers,
                                     json={"password": PASSWORD, "recovery_code": recovery_codes[1]})

    assert response.status_code == 204
    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_enabled"] is False
    assert identity.count("recovery_codes") == 0


def test_a_wrong_password_does_not_turn_mfa_off(gateway_client, identity):
    account = identity.account()
    headers, secret, _ = enrolled(gateway_client, identity, account)

    response = gateway_client.delete("/v1/me/mfa", headers=headers,
                                     json={"password": "not my password!", "code": code(secret, 1)})

    assert response.status_code == 403
    assert response.get_json()["type"] == PROBLEMS + "wrong-password"
    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_enabled"] is True


def test_a_code_of_non_ascii_digits_does_not_turn_mfa_off(gateway_client, identity):
    account = identity.account()
    headers, _, _ = enrolled(gateway_client, identity, account)

    response = gateway_client.delete("/v1/me/mfa", headers=headers, json={"password": PASSWORD, "code": ARABIC_INDIC})

    assert response.status_code == 403
    assert response.get_json()["type"] == PROBLEMS + "invalid-second-factor"
    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_enabled"] is True


def test_turning_mfa_off_unverifies_the_account_s_sessions_at_once(gateway_client, identity):
    account = identity.account()
    login = gateway_client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD}).get_json()
    headers = bearer(login["access_token"])
    secret = totp.decode_secret(gateway_client.post("/v1/me/mfa/totp", headers=headers).get_json()["secret"])
    gateway_client.post("/v1/me/mfa/totp/confirm", headers=headers, json={"code": code(secret)})
    verified = bearer(gateway_client.post("/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
                      .get_json()["access_token"])

    turned_off = gateway_client.delete("/v1/me/mfa", headers=verified, json={"password": PASSWORD,
                                                                          "code": code(secret, 1)})

    assert turned_off.status_code == 204
    # The token still says "mfa", but the session no longer does: its token is unverified from now on.
    assert gateway_client.get("/v1/me", headers=verified).get_json()["mfa_verified"] is False


def test_turning_off_mfa_that_is_off_is_a_409(gateway_client, identity):
    headers = identity.sign_in(gateway_client, identity.account())
    response = gateway_client.delete("/v1/me/mfa", headers=headers, json={"password": PASSWORD, "code": "123456"})
    assert response.status_code == 409


# -- a clinic that requires MFA ---------------------------------------------------------------


@pytest.mark.parametrize("kind", [AccountKind.STAFF, AccountKind.PROVIDER])
def test_staff_without_mfa_in_a_clinic_requiring_it_log_in_unverified_and_are_told(gateway_client, identity, kind):
    account = identity.account(kind)
    identity.require_mfa(account.clinic_id)

    headers = identity.sign_in(gateway_client, account)
    me = gateway_client.get("/v1/me", headers=headers).get_json()

    assert (me["mfa_required"], me["mfa_enabled"], me["mfa_verified"]) == (True, False, False)


def test_patients_are_never_required_to_use_mfa(gateway_client, identity):
    account = identity.account(AccountKind.PATIENT)
    identity.require_mfa(account.clinic_id)
    me = gateway_client.get("/v1/me", headers=identity.sign_in(gateway_client, account)).get_json()
    assert me["mfa_required"] is False


def test_after_enrolling_the_session_refreshes_into_mfa_verified_tokens(gateway_client, identity):
    account = identity.account(AccountKind.STAFF)
    identity.require_mfa(account.clinic_id)
    login = gateway_client.post("/v1/auth/login", json={"email": account.email, "password": PASSWORD}).get_json()
    headers = bearer(login["access_token"])
    secret = totp.decode_secret(gateway_client.post("/v1/me/mfa/totp", headers=headers).get_json()["secret"])
    gateway_client.post("/v1/me/mfa/totp/confirm", headers=headers, json={"code": code(secret)})

    refreshed = gateway_client.post("/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}).get_json()

    me = gateway_client.get("/v1/me", headers=bearer(refreshed["access_token"])).get_json()
    assert (me["mfa_required"], me["mfa_enabled"], me["mfa_verified"]) == (True, True, True)


@pytest.mark.parametrize("kind", [AccountKind.STAFF, AccountKind.PROVIDER])
def test_staff_cannot_turn_off_the_mfa_their_clinic_requires(gateway_client, identity, kind):
    """Else a stolen password could turn it off, then enrol the thief's own authenticator."""
    account = identity.account(kind)
    identity.require_mfa(account.clinic_id)
    headers, secret, recovery_codes = enrolled(gateway_client, identity, account)

    response = gateway_client.delete("/v1/me/mfa", headers=headers,
                                     json={"password": PASSWORD, "recovery_code": recovery_codes[0]})

    assert response.status_code == 409
    assert response.get_json()["type"] == PROBLEMS + "mfa-required-by-clinic"
    assert gateway_client.get("/v1/me", headers=headers).get_json()["mfa_enabled"] is True
    assert identity.count("recovery_codes") == len(recovery_codes)
