"""Abuse protection on the real stores: failed-login throttling in the database, and the rate
limits of public routes with both limiters (the database, and Redis at 127.0.0.1:6379)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import sqlalchemy as sa

from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.migrations import upgrade
from gateway.adapters.accounts import SqlLoginFailures
from gateway.adapters.link_requests import SqlLinkRequests
from gateway.adapters.orm import link_requests, login_failures, rate_limit_windows
from gateway.adapters.rate_limits import LimiterUnavailable, RedisRateLimiter, SqlRateLimiter
from gateway.domain import totp
from gateway.domain.throttling import RateLimit
from gateway.entrypoints.migrate import MIGRATIONS
from gateway.entrypoints.worker import purge_throttles
from gateway.service_layer.throttling import LINK_INTERVAL_SECONDS
from gateway.settings import Settings

pytestmark = pytest.mark.integration

PASSWORD = "plum tree orchard at dawn"
REDIS_URL = "redis://127.0.0.1:6379/0"
RACERS = 12
PROBLEMS = "https://problems.clinic-platform.dev/"


def log_in(client, email, password=PASSWORD, address=None):
    headers = {} if address is None else {"X-Forwarded-For": address}
    return client.post("/v1/auth/login", json={"email": email, "password": password}, headers=headers)


def assert_429(response, kind: str) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.get_json()["type"] == PROBLEMS + kind
    assert 0 < int(response.headers["Retry-After"]) <= 86400


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


# -- failed logins ----------------------------------------------------------------------------


def test_after_five_failed_logins_the_account_is_refused_with_429_and_retry_after(gateway_client, identity):
    account = identity.account()
    for _ in range(5):
        assert log_in(gateway_client, account.email, "a wrong password!").status_code == 401

    throttled = log_in(gateway_client, account.email)

    assert_429(throttled, "login-throttled")
    assert 890 <= int(throttled.headers["Retry-After"]) <= 900
    assert identity.audit(account.clinic_id)[0].action == "login.throttled"


def test_an_unknown_address_is_throttled_the_same_way(gateway_client, identity):
    for _ in range(5):
        log_in(gateway_client, "nobody@example.com", "a wrong password!")
    assert_429(log_in(gateway_client, "nobody@example.com"), "login-throttled")


def test_after_twenty_failures_from_one_address_it_is_refused_for_every_account(
        gateway_database, gateway_environment, build_gateway_app, identity):
    gateway_environment(gateway_database, trusted_proxy_count="1", rate_limit_login="1000/minute")
    client = build_gateway_app().test_client()
    account = identity.account()
    for n in range(20):
        assert log_in(client, f"guess-{n}@example.com", "a wrong password!", address="198.51.100.9").status_code == 401

    assert_429(log_in(client, account.email, address="198.51.100.9"), "login-throttled")
    assert log_in(client, account.email, address="198.51.100.10").status_code == 200


def test_failed_logins_rotating_addresses_within_one_ipv6_64_are_throttled_as_one_client(
        gateway_database, gateway_environment, build_gateway_app, identity):
    gateway_environment(gateway_database, trusted_proxy_count="1", rate_limit_login="1000/minute")
    client = build_gateway_app().test_client()
    account = identity.account()

    statuses = [log_in(client, f"guess-{n}@example.com", "a wrong password!", address=f"2001:db8:1:3::{n:x}").status_code
                for n in range(1, 61)]

    assert statuses == [401] * 20 + [429] * 40
    assert_429(log_in(client, account.email, address="2001:db8:1:3:ffff::1"), "login-throttled")
    assert log_in(client, account.email, address="2001:db8:1:4::1").status_code == 200
    assert identity.audit(account.clinic_id)[0].client_address == "2001:db8:1:4::1"  # the full address


# -- failed logins racing ---------------------------------------------------------------------


@pytest.fixture
def racing_app(gateway_database, gateway_environment, build_gateway_app):
    # Each racer claims an address of its own (one trusted proxy), and the route's rate limit
    # stays out of the way: only the failed-login throttle refuses.
    gateway_environment(gateway_database, trusted_proxy_count="1", rate_limit_login="1000/minute")
    return build_gateway_app()


def race(app, send: Callable[..., object]) -> list[int]:
    """`send(client, n)` for n in range(RACERS), released together; the status codes, sorted."""
    barrier = threading.Barrier(RACERS)

    def racer(n: int) -> int:
        client = app.test_client()
        barrier.wait()
        return send(client, n).status_code

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return sorted(pool.map(racer, range(RACERS)))


def test_concurrent_wrong_passwords_are_checked_only_up_to_the_accounts_limit(racing_app, identity):
    account = identity.account()

    statuses = race(racing_app, lambda client, n: log_in(client, account.email, f"wrong guess no. {n}",
                                                         address=f"198.51.100.{n}"))

    assert statuses == [401] * 5 + [429] * (RACERS - 5)
    assert_429(log_in(racing_app.test_client(), account.email, address="192.0.2.1"), "login-throttled")


def test_concurrent_wrong_passwords_are_checked_only_up_to_the_addresss_limit(
        gateway_database, gateway_environment, build_gateway_app, identity):
    gateway_environment(gateway_database, trusted_proxy_count="1", rate_limit_login="1000/minute",
                        login_failures_per_address="5")
    app = build_gateway_app()
    accounts = [identity.account() for _ in range(RACERS)]

    statuses = race(app, lambda client, n: log_in(client, accounts[n].email, "a wrong password!",
                                                  address="198.51.100.9"))

    assert statuses == [401] * 5 + [429] * (RACERS - 5)
    assert_429(log_in(app.test_client(), accounts[0].email, address="198.51.100.9"), "login-throttled")


def test_concurrent_wrong_codes_are_checked_only_up_to_the_accounts_limit(racing_app, identity):
    account = identity.account()
    secret = identity.enable_mfa(account)
    window = {totp.totp(secret, time.time() + steps * totp.STEP_SECONDS) for steps in (-1, 0, 1, 2)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
    # A right password is no failure: asking for many second steps leaves the count at 0.
    mfa_tokens = [log_in(racing_app.test_client(), account.email).get_json()["mfa_token"] for _ in range(RACERS)]

    statuses = race(racing_app, lambda client, n: client.post(
        "/v1/auth/login/mfa", json={"mfa_token": mfa_tokens[n], "code": wrong},
        headers={"X-Forwarded-For": f"198.51.100.{n}"}))

    assert statuses == [401] * 5 + [429] * (RACERS - 5)
    assert_429(log_in(racing_app.test_client(), account.email, address="192.0.2.1"), "login-throttled")


# -- rate limits on public routes -------------------------------------------------------------


def reset_requests(client, times: int, address: str | None = None) -> list[int]:
    headers = {} if address is None else {"X-Forwarded-For": address}
    return [client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"}, headers=headers).status_code
            for _ in range(times)]


@pytest.fixture(params=["database", "redis"])
def limited_client(request, gateway_database, gateway_environment, build_gateway_app):
    """A client whose password-reset bucket allows 3 requests a day, counted by each limiter."""
    settings = {"rate_limit_password_reset": "3/day", "rate_limit_login": "2/day", "trusted_proxy_count": "1"}
    if request.param == "redis":
        settings |= {"redis_url": REDIS_URL, "redis_key_prefix": request.getfixturevalue("redis_prefix")}
    gateway_environment(gateway_database, **settings)
    return build_gateway_app().test_client()


def test_a_public_route_answers_429_with_retry_after_beyond_its_limit(limited_client):
    assert reset_requests(limited_client, 3, "192.0.2.1") == [202, 202, 202]
    assert_429(limited_client.post("/v1/auth/password-reset", json={"email": "a@example.com"},
                                   headers={"X-Forwarded-For": "192.0.2.1"}), "rate-limited")


def test_each_client_address_has_its_own_allowance(limited_client):
    reset_requests(limited_client, 4, "192.0.2.1")
    assert reset_requests(limited_client, 1, "192.0.2.2") == [202]


def test_addresses_within_one_ipv6_64_share_an_allowance_and_an_ipv4_mapped_one_is_its_ipv4_address(
        limited_client):
    rotating = [code for n in range(1, 5) for code in reset_requests(limited_client, 1, f"2001:db8:1:3::{n}")]
    mapped = reset_requests(limited_client, 3, "::ffff:192.0.2.1") + reset_requests(limited_client, 1, "192.0.2.1")

    assert rotating == [202, 202, 202, 429]
    assert reset_requests(limited_client, 1, "2001:db8:1:4::1") == [202]
    assert mapped == [202, 202, 202, 429]


def test_buckets_are_counted_apart(limited_client):
    reset_requests(limited_client, 4, "192.0.2.1")
    assert log_in(limited_client, "nobody@example.com", address="192.0.2.1").status_code == 401


def test_login_has_its_own_limit_before_any_password_is_checked(limited_client):
    statuses = [log_in(limited_client, "nobody@example.com", address="192.0.2.3").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_without_trusted_proxies_x_forwarded_for_does_not_change_the_address(
        gateway_database, gateway_environment, build_gateway_app):
    gateway_environment(gateway_database, rate_limit_password_reset="3/day")
    client = build_gateway_app().test_client()
    statuses = [code for n in range(4) for code in reset_requests(client, 1, f"192.0.2.{n}")]
    assert statuses == [202, 202, 202, 429]


def test_with_one_trusted_proxy_the_address_it_saw_counts_not_what_the_client_claims(limited_client):
    spoofed = [limited_client.post("/v1/auth/password-reset", json={"email": "a@example.com"},
                                   headers={"X-Forwarded-For": f"10.0.0.{n}, 192.0.2.7"}).status_code
               for n in range(4)]
    assert spoofed == [202, 202, 202, 429]


def test_when_redis_does_not_answer_requests_are_let_through(
        gateway_database, gateway_environment, build_gateway_app):
    gateway_environment(gateway_database, rate_limit_password_reset="1/day", redis_url="redis://127.0.0.1:1/0")
    client = build_gateway_app().test_client()
    assert reset_requests(client, 3) == [202, 202, 202]


# -- the limiters themselves ------------------------------------------------------------------


def hammer(limiter, key: str, limit: RateLimit, hits: int) -> list[bool]:
    now = time.time()
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda _: limiter.hit(key, limit, now).allowed, range(hits)))


def test_the_database_limiter_counts_concurrent_hits_exactly(database_url):
    upgrade(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    try:
        allowed = hammer(SqlRateLimiter(engine), "public:192.0.2.1", RateLimit(25, 86400), 60)
    finally:
        engine.dispose()
    assert allowed.count(True) == 25


def test_the_redis_limiter_counts_concurrent_hits_exactly_and_keys_expire_with_their_window(redis_prefix):
    limiter = RedisRateLimiter.from_url(REDIS_URL, redis_prefix)

    allowed = hammer(limiter, "public:192.0.2.1", RateLimit(25, 60), 60)

    assert allowed.count(True) == 25
    client = redis.Redis.from_url(REDIS_URL)
    [key] = list(client.scan_iter(f"{redis_prefix}*"))
    assert 0 < client.ttl(key) <= 60
    client.close()


def test_the_redis_limiter_reports_an_unreachable_server():
    limiter = RedisRateLimiter.from_url("redis://127.0.0.1:1/0", "unused:")
    with pytest.raises(LimiterUnavailable):
        limiter.hit("public:192.0.2.1", RateLimit(1, 60), time.time())


def test_the_database_limiter_starts_a_new_window_afresh(database_url):
    upgrade(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    limiter, limit = SqlRateLimiter(engine), RateLimit(1, 60)
    try:
        assert limiter.hit("k", limit, 6000.0).allowed
        assert not limiter.hit("k", limit, 6030.0).allowed
        assert limiter.hit("k", limit, 6060.0).allowed
    finally:
        engine.dispose()


def test_the_worker_forgets_rate_windows_login_tallies_and_link_requests_once_their_windows_ended(database_url):
    upgrade(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    settings = Settings(login_failure_window_seconds=900)
    now = time.time()
    try:
        limiter = SqlRateLimiter(engine)
        limiter.hit("public:ended", RateLimit(5, 60), now - 120)
        limiter.hit("public:current", RateLimit(5, 60), now)
        with transaction(sessions) as session:
            SqlLoginFailures(session).record("ended", now - 1000, 900)
            SqlLoginFailures(session).record("current", now - 10, 900)
            SqlLinkRequests(session).record("ended", "password_reset", now - LINK_INTERVAL_SECONDS, LINK_INTERVAL_SECONDS)
            SqlLinkRequests(session).record("current", "password_reset", now - 10, LINK_INTERVAL_SECONDS)

        purge_throttles(engine, settings)

        with engine.connect() as connection:
            windows = set(connection.execute(sa.select(rate_limit_windows.c.key)).scalars())
            tallies = set(connection.execute(sa.select(login_failures.c.subject)).scalars())
            requests = set(connection.execute(sa.select(link_requests.c.address_digest)).scalars())
    finally:
        engine.dispose()
    assert windows == {"public:current"}
    assert tallies == {"current"}
    assert requests == {"current"}
