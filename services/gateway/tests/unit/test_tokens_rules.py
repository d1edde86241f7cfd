"""Signed tokens: what an access token says, and every way a token is refused."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from gateway.domain.principal import AccountKind
from gateway.domain.tokens import (
    ACCESS_TOKEN_LIFETIME,
    API_AUDIENCE,
    ISSUER,
    LIFETIMES,
    AccessClaims,
    Purpose,
    TokenCodec,
    TokenExpired,
    TokenRefused,
    key_id,
    new_refresh_token,
    token_digest,
)

KEY = "k" * 40
OTHER_KEY = "o" * 40
NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
ACCOUNT, CLINIC, SESSION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def access_token(codec: TokenCodec = TokenCodec(KEY), now: datetime = NOW, **changes) -> str:
    values = dict(account_id=ACCOUNT, kind=AccountKind.STAFF, clinic_id=CLINIC, session_id=SESSION,
                  mfa_verified=True, now=now) | changes
    return codec.access_token(**values)[0]


def segments(token: str) -> list[str]:
    return token.split(".")


def decoded(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def encoded(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# -- what an access token says ----------------------------------------------------------------


def test_an_access_token_reads_back_as_its_claims():
    assert TokenCodec(KEY).read_access_token(access_token(), NOW) == AccessClaims(
        ACCOUNT, AccountKind.STAFF, CLINIC, SESSION, True, NOW + ACCESS_TOKEN_LIFETIME)


def test_an_operators_token_names_no_clinic():
    claims = TokenCodec(KEY).read_access_token(access_token(kind=AccountKind.OPERATOR, clinic_id=None), NOW)
    assert (claims.kind, claims.clinic_id) == (AccountKind.OPERATOR, None)


def test_an_access_token_carries_the_agreed_claims_and_a_key_id_header():
    header, payload, _ = segments(access_token())
    assert decoded(header) == {"alg": "HS256", "kid": key_id(KEY), "typ": "JWT"}
    assert decoded(payload) == {
        "sub": str(ACCOUNT), "kind": "staff", "clinic_id": str(CLINIC), "sid": str(SESSION), "mfa": True,
        "aud": API_AUDIENCE, "iss": ISSUER, "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
    }


def test_an_access_token_lives_five_minutes():
    token = access_token()
    TokenCodec(KEY).read_access_token(token, NOW + timedelta(minutes=4, seconds=59))
    with pytest.raises(TokenExpired):
        TokenCodec(KEY).read_access_token(token, NOW + timedelta(minutes=5))


def test_the_key_id_does_not_reveal_the_key():
    assert KEY not in key_id(KEY) and key_id(KEY) != key_id(OTHER_KEY)


# -- refused tokens ---------------------------------------------------------------------------


def test_a_token_whose_claims_were_changed_is_refused():
    header, payload, signature = segments(access_token())
    tampered = encoded(decoded(payload) | {"kind": "operator", "clinic_id": None})
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(f"{header}.{tampered}.{signature}", NOW)


def test_a_token_signed_with_another_key_is_refused():
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(access_token(TokenCodec(OTHER_KEY)), NOW)


def test_a_token_naming_our_key_id_but_signed_with_another_key_is_refused():
    forged = jwt.encode(decoded(segments(access_token())[1]), OTHER_KEY, algorithm="HS256",
                        headers={"kid": key_id(KEY)})
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(forged, NOW)


def test_an_unsigned_token_is_refused():
    header, payload, _ = segments(access_token())
    unsigned = f"{encoded(decoded(header) | {'alg': 'none'})}.{payload}."
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(unsigned, NOW)


@pytest.mark.parametrize("claim", ["iss", "aud"])
def test_a_token_of_another_issuer_or_audience_is_refused(claim):
    claims = decoded(segments(access_token())[1]) | {claim: "someone-else"}
    foreign = jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": key_id(KEY)})
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(foreign, NOW)


@pytest.mark.parametrize("claim", ["exp", "sub", "iat"])
def test_a_token_without_a_required_claim_is_refused(claim):
    claims = decoded(segments(access_token())[1])
    del claims[claim]
    incomplete = jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": key_id(KEY)})
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(incomplete, NOW)


def test_a_token_with_a_malformed_claim_is_refused():
    claims = decoded(segments(access_token())[1]) | {"sid": "not-a-uuid"}
    malformed = jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": key_id(KEY)})
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(malformed, NOW)


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c"])
def test_something_that_is_not_a_token_is_refused(garbage):
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_access_token(garbage, NOW)


def test_an_expired_token_is_refused_as_expired():
    with pytest.raises(TokenExpired):
        TokenCodec(KEY).read_access_token(access_token(now=NOW - timedelta(minutes=6)), NOW)


# -- key rotation -----------------------------------------------------------------------------


def test_after_rotation_tokens_of_the_previous_key_are_still_accepted():
    before = access_token(TokenCodec(OTHER_KEY))
    rotated = TokenCodec(KEY, previous_keys=[OTHER_KEY])
    assert rotated.read_access_token(before, NOW).account_id == ACCOUNT


def test_after_rotation_new_tokens_are_signed_with_the_new_key():
    rotated = TokenCodec(KEY, previous_keys=[OTHER_KEY])
    token = access_token(rotated)
    assert decoded(segments(token)[0])["kid"] == key_id(KEY)
    TokenCodec(KEY).read_access_token(token, NOW)


def test_a_key_shorter_than_32_characters_is_refused():
    with pytest.raises(ValueError, match="32"):
        TokenCodec("short")


# -- one-time tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_one_time_token_reads_back_for_its_purpose_until_it_expires(purpose):
    codec, token_id = TokenCodec(KEY), uuid.uuid4()
    token, claims = codec.one_time_token(token_id, ACCOUNT, purpose, NOW)
    assert claims.expires_at == NOW + LIFETIMES[purpose]
    assert codec.read_one_time_token(token, [purpose], NOW) == claims
    with pytest.raises(TokenExpired):
        codec.read_one_time_token(token, [purpose], claims.expires_at)


def test_the_lifetimes_are_five_minutes_for_login_thirty_for_a_reset_three_days_for_an_invitation_two_for_a_sign_up():
    agreed = {Purpose.MFA_LOGIN: timedelta(minutes=5), Purpose.PASSWORD_RESET: timedelta(minutes=30),
              Purpose.INVITATION: timedelta(days=3), Purpose.REGISTRATION: timedelta(days=2)}
    assert agreed == LIFETIMES


def test_a_one_time_token_is_refused_for_another_purpose():
    token, _ = TokenCodec(KEY).one_time_token(uuid.uuid4(), ACCOUNT, Purpose.MFA_LOGIN, NOW)
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_one_time_token(token, [Purpose.PASSWORD_RESET, Purpose.INVITATION], NOW)


def test_a_one_time_token_is_never_an_access_token_and_the_reverse():
    codec = TokenCodec(KEY)
    one_time, _ = codec.one_time_token(uuid.uuid4(), ACCOUNT, Purpose.PASSWORD_RESET, NOW)
    with pytest.raises(TokenRefused):
        codec.read_access_token(one_time, NOW)
    with pytest.raises(TokenRefused):
        codec.read_one_time_token(access_token(codec), list(Purpose), NOW)


def test_a_one_time_tokens_purpose_cannot_be_changed_without_its_audience():
    token, _ = TokenCodec(KEY).one_time_token(uuid.uuid4(), ACCOUNT, Purpose.INVITATION, NOW)
    claims = decoded(segments(token)[1]) | {"purpose": "password_reset"}
    mixed = jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": key_id(KEY)})
    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_one_time_token(mixed, list(Purpose), NOW)


# -- refresh tokens ---------------------------------------------------------------------------


def test_refresh_tokens_are_random_and_stored_only_as_a_sha256_digest():
    first, second = new_refresh_token(), new_refresh_token()
    assert first != second and len(first) >= 43
    assert token_digest(first) == token_digest(first) != token_digest(second)
    assert len(token_digest(first)) == 64 and first not in token_digest(first)
