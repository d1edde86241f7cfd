"""Benchmark: access decisions at a steady rate, straight at entitlements and through the gateway.

    uv run python bench/decisions.py [--targets entitlements,gateway,gateway-uncached] [--rate 200]
                                     [--seconds 20] [--clinics 50] [--gateway-clinics 5] [--web-concurrency 2]

Needs PostgreSQL (TEST_POSTGRES_URL, defaulting to the local server). Every service it starts gets
a throw-away database bench_decisions_<run>_<service>, brought to the newest schema with the
service's `<service>-migrate`, and runs as the platform runs it: the console script
`<service>-web` (gunicorn, its default workers and threads, JSON logs at INFO into var/bench/) on
a free port. Only what the chosen targets need is started. Databases, processes and the mail sink
are removed at the end, also when the run fails or is interrupted (Ctrl-C, SIGTERM).

Targets (TARGETS below; several may be given, comma- or space-separated; all by default):

- `entitlements`: POST /decisions straight at entitlements-web, the decision's own cost. Seeded
  through entitlements' API: --clinics clinics (default 50) of 20 principals each (a clinic admin,
  receptionists, specialists and patients holding built-in roles, some also one of three
  clinic-defined roles, one member of staff with no role). The questions vary: principals of
  every kind asking for their usual actions and others, on their own resources and on other
  people's, now and then in another clinic, and operators asking for platform and clinic actions.
- `gateway`: GET /v1/admin/clinics/<slug>/accounts/<account_id> on gateway-web, a route protected
  by `@requires("accounts.read", owner="account_id")`, with the gateway's decision cache warm.
  Besides entitlements-web it starts catalog-web and gateway-web (`gateway-migrate` creating the
  platform operator from BOOTSTRAP_OPERATOR_EMAIL/PASSWORD; CATALOG_URL and ENTITLEMENTS_URL
  pointing at them, the other *_URL at a port nothing listens on; the RATE_LIMIT_* buckets
  raised so that seeding is not throttled, the measured route having no rate limit anyway), and
  an SMTP sink (aiosmtpd) in this process that SMTP_HOST/SMTP_PORT point at. Seeded through the
  gateway's own API: the operator registers --gateway-clinics clinics (default 5) and appoints
  an admin of each; each admin defines a "billing-clerk" role (no accounts.read) and opens 2
  receptionists, 3 specialists and a billing clerk; 3 patients sign up. Staff set their
  passwords from the invitation mailed to the sink (POST /v1/auth/password-reset/confirm),
  patients confirm their sign-up with the link mailed to them (POST
  /v1/auth/registration/confirm), and everyone logs in. Each request is one of these 50 principals reading their own account or a
  colleague's: admins and receptionists may read any (200), specialists and patients only their
  own (else 403 not_owner), the clerk none (403 not_granted). Besides the decision, the route
  verifies the token and looks up its session, the clinic's MFA policy and access generation,
  and reads the account. This gateway runs with ACCESS_DECISION_CACHE_SECONDS=3600, so that no
  decision expires during the run (at the default 30 s each web process asks again for each of
  the world's 100 decisions every 30 s: with 2 workers, ~7 of the 200 requests a second). Before
  measuring, every distinct request is sent on fresh connections (so that each gunicorn worker's
  cache gets it) until three passes in a row ask entitlements nothing.
- `gateway-uncached`: the same requests at a second gateway-web on the same database with
  ACCESS_DECISION_CACHE_SECONDS=0, so every request asks entitlements: the gateway-to-
  entitlements decision path.

No worker process runs: nothing changes a role during the measurement, so no event has to
reach the gateway. Only the gateway worker's link-mail job runs, in this process while seeding,
to mail the invitations and sign-up links. Access tokens last 5 minutes and are refreshed before each gateway target,
so --seconds is at most 240 with those targets.

Each target then gets --seconds (after 3 s of warm-up at the same rate, not measured) of
requests sent open-loop: the n-th request leaves at start + n/rate whether or not earlier ones
were answered (over as many keep-alive connections as that needs), and its latency runs from
that planned moment to the last byte of the answer, so a stall delays every request behind it
in the figures too. Printed per target: the rate achieved, the answers (an answer other than
the one the principal's roles call for counts as failed), client-side p50/p90/p99/max over the
expected answers, how many decisions entitlements made meanwhile (from its
clinic_http_requests_total metric: per gateway request, the cache's miss rate), and, where the
answer carries `Server-Timing: app;dur=<ms>` (entitlements' own answers), the time spent inside
entitlements (p50/p99; it excludes gunicorn's own parsing and writing); then how busy the
machine was and the CPU per request of each process. Run it on an otherwise idle machine; the
load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from measure import cpu_by_process, cpu_used, machine_cpu, percentile

from clinic_runtime.db import make_engine
from clinic_runtime.devstack import free_ports

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SCRIPTS = Path(sys.executable).parent
LOGS = ROOT / "var" / "bench"
RUN = uuid.uuid4().hex[:8]
WARM_UP_SECONDS = 3
QUESTIONS = 20_000
ACCESS_TOKEN_SECONDS = 300  # the gateway's access token lifetime
LONGEST_GATEWAY_RUN = 240  # measured seconds that fit in it after refreshing and warming up

CLINIC_ROLES = {
    "front-desk-lead": [("payments.refund", "any"), ("reports.read", "any"), ("audit.read", "any")],
    "premium-patient": [("library.access", "any"), ("telerehab.access", "any")],
    "telerehab-specialist": [("telerehab.access", "any"), ("library.access", "any"), ("patients.read", "any")],
}
# Per clinic: (kind, roles held, how many); 20 principals.
MEMBERS = [
    ("staff", ["clinic_admin"], 1),
    ("staff", ["receptionist"], 2),
    ("staff", ["receptionist", "front-desk-lead"], 1),
    ("provider", ["specialist"], 4),
    ("provider", ["specialist", "telerehab-specialist"], 1),
    ("patient", ["patient"], 7),
    ("patient", ["patient", "premium-patient"], 3),
    ("staff", [], 1),
]
USUAL_ACTIONS = {
    "staff": ["appointments.read", "appointments.manage", "appointments.book", "patients.read", "patients.manage",
              "availability.read", "payments.refund", "reports.read", "roles.manage", "audit.read"],
    "provider": ["appointments.read", "appointments.manage", "availability.read", "availability.manage",
                 "patients.read", "telerehab.access"],
    "patient": ["appointments.read", "appointments.book", "patients.read", "enrollments.read", "library.access",
                "telerehab.access"],
}
EVERY_ACTION = sorted({a for actions in USUAL_ACTIONS.values() for a in actions}
                      | {"catalog.manage", "tiers.manage", "platform.clinics.manage", "coffee.make"})

# The gateway's world. Per clinic, besides the admin the operator appoints: (kind, role, how
# many) of the accounts the admin opens, then the patients who sign up.
GATEWAY_STAFF = [("staff", "receptionist", 2), ("provider", "specialist", 3), ("staff", "billing-clerk", 1)]
GATEWAY_PATIENTS = 3
BILLING_CLERK = {"key": "billing-clerk", "name": "Billing clerk",
                 "grants": [{"permission": "payments.refund", "scope": "any"},
                            {"permission": "reports.read", "scope": "any"}]}
# Who may read which account (accounts.read): "any" for these roles, "own" for specialists and
# patients, nothing for the billing clerk.
READS_ANY_ACCOUNT = ("clinic_admin", "receptionist")
READS_OWN_ACCOUNT = ("specialist", "patient")
WARM_CACHE_SECONDS = "3600"  # longer than any run: the warm target's decisions never expire
OPERATOR_EMAIL = "operator@bench.example"
PASSWORD = "Tall-Harbour-Lantern-42"  # contains no account's address, as the password policy wants
UNLIMITED = "1000000/minute"


# -- databases and processes ------------------------------------------------------------------


def migrated_database(stack: ExitStack, name: str, service: str, env: dict[str, str] | None = None) -> str:
    """A fresh database `name` for `service` at the newest schema (`<service>-migrate` with `env`),
    dropped when `stack` closes; its URL."""
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    stack.callback(drop)
    url = sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    with (LOGS / f"{service}-migrate.log").open("w") as log:
        migrated = subprocess.run([str(SCRIPTS / f"{service}-migrate")],
                                  env={**os.environ, **(env or {}), "DATABASE_URL": url}, stdout=log, stderr=log)
    if migrated.returncode != 0:
        raise SystemExit(f"{service}-migrate failed; see {LOGS / f'{service}-migrate.log'}")
    return url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def ready(url: str, process: subprocess.Popen, name: str) -> str:
    """`url` once its /readyz answers 200 (waiting at most a minute, and only while `process` runs)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/readyz", timeout=3).status_code == 200:
                return url
        except requests.RequestException:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"{name} did not become ready; see {LOGS}")


@dataclass
class Platform:
    """What runs for the benchmark; `stack` stops and removes it all, in reverse order."""

    stack: ExitStack
    web_concurrency: int
    pids: dict[str, int] = field(default_factory=dict)  # process name -> gunicorn master's pid

    def database(self, service: str, env: dict[str, str] | None = None) -> str:
        """A fresh database for `service` at the newest schema (`<service>-migrate` with `env`); its URL."""
        return migrated_database(self.stack, f"bench_decisions_{RUN}_{service}", service, env)

    def start(self, name: str, env: dict[str, str], service: str | None = None) -> str:
        """Start `<service>-web` (by default service = name) as the platform does (console
        script, gunicorn), known as `name`; its base URL."""
        port = free_ports(1)[0]
        metrics = LOGS / f"metrics-{name}-{port}"
        log = self.stack.enter_context((LOGS / f"{name}-web.log").open("w"))
        process = subprocess.Popen(
            [str(SCRIPTS / f"{service or name}-web")],
            env={**os.environ, "AMQP_URL": AMQP, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
                 "WEB_CONCURRENCY": str(self.web_concurrency), "PROMETHEUS_MULTIPROC_DIR": str(metrics), **env},
            stdout=log, stderr=log,
        )
        self.stack.callback(shutil.rmtree, metrics, ignore_errors=True)
        self.stack.callback(stop, process)
        self.pids[name] = process.pid  # the console script becomes gunicorn's master (exec)
        return ready(f"http://127.0.0.1:{port}", process, f"{name}-web")


class MailBox:
    """An SMTP sink in this process for the gateway's invitations: the link's token per recipient."""

    def __init__(self, stack: ExitStack) -> None:
        self.port = free_ports(1)[0]
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        box = self

        class Keep:
            async def handle_DATA(self, server, session, envelope) -> str:
                box._keep(envelope.content)
                return "250 Message accepted for delivery"

        controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)
        controller.start()
        stack.callback(controller.stop)

    def _keep(self, content: bytes) -> None:
        message = message_from_bytes(content)
        text = message.get_payload(decode=True).decode()
        link = next(word for word in text.split() if "token=" in word)
        with self._lock:
            self._tokens[message["To"]] = parse_qs(urlsplit(link).query)["token"][0]

    def token_for(self, address: str) -> str:
        """The token of the newest link mailed to `address`, waiting for it (the gateway's
        link-mail job mails it within a second of the request)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with self._lock:
                if address in self._tokens:
                    return self._tokens.pop(address)
            time.sleep(0.05)
        raise SystemExit(f"seeding: no link was mailed to {address} within 30 s")


@contextmanager
def link_mail_job(env: dict[str, str]) -> Iterator[None]:
    """The gateway worker's link-mail job, run in this process every 0.1 s while seeding: the
    rest of the worker (its event consumers, its purges) plays no part here."""
    from gateway.entrypoints.worker import link_mailer
    from gateway.settings import Settings

    engine = make_engine(env["DATABASE_URL"])
    job = link_mailer(engine, Settings(database_url=env["DATABASE_URL"], smtp_host=env["SMTP_HOST"],
                                       smtp_port=int(env["SMTP_PORT"]), smtp_security=env["SMTP_SECURITY"]))
    stopped = threading.Event()

    def run() -> None:
        while not stopped.wait(0.1):
            job()

    thread = threading.Thread(target=run, name="link-mail", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stopped.set()
        thread.join()
        engine.dispose()


# -- entitlements' own world and its questions ------------------------------------------------


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    kind: str
    clinic_id: uuid.UUID | None


@dataclass
class World:
    clinics: list[uuid.UUID]
    members: list[Member]
    operators: list[Member]


def seed(entitlements: str, clinics: int) -> World:
    """Roles and assignments through entitlements's API, as clinic admins would make them
    (a clinic at a time, several clinics side by side)."""
    world = World([uuid.uuid4() for _ in range(clinics)], [],
                  [Member(uuid.uuid4(), "operator", None) for _ in range(3)])
    for clinic_id in world.clinics:
        world.members.extend(Member(uuid.uuid4(), kind, clinic_id) for kind, _, count in MEMBERS
                             for _ in range(count))

    def seed_clinic(clinic_id: uuid.UUID) -> None:
        http = requests.Session()
        for key, grants in CLINIC_ROLES.items():
            http.post(f"{entitlements}/clinics/{clinic_id}/roles", json={
                "key": key, "name": key.replace("-", " ").capitalize(),
                "grants": [{"permission": p, "scope": s} for p, s in grants]}).raise_for_status()
        members = iter(m for m in world.members if m.clinic_id == clinic_id)
        for _, roles, count in MEMBERS:
            for member in itertools.islice(members, count):
                for key in roles:
                    http.put(f"{entitlements}/clinics/{clinic_id}/principals/{member.id}/roles/{key}").raise_for_status()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(seed_clinic, world.clinics))
    return world


def questions(world: World, count: int, rng: random.Random) -> list[dict]:
    """Decision requests like the gateway's: mostly usual, some odd, some hostile."""
    asked = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.03:
            operator = rng.choice(world.operators)
            action = rng.choice(["platform.clinics.manage", "platform.plans.manage", "reports.read"])
            asked.append(_question(operator, action, None if action.startswith("platform.") else
                                   rng.choice(world.clinics), None))
            continue
        member = rng.choice(world.members)
        action = rng.choice(USUAL_ACTIONS[member.kind] if roll < 0.85 else EVERY_ACTION)
        clinic = member.clinic_id if rng.random() > 0.05 else rng.choice(world.clinics)
        resource = None
        if rng.random() < 0.6:
            owner = member.id if rng.random() < 0.5 else rng.choice(world.members).id
            resource = {"type": action.split(".")[0], "id": str(uuid.uuid4()), "owner_id": str(owner)}
        asked.append(_question(member, action, clinic, resource))
    return asked


def _question(member: Member, action: str, clinic_id: uuid.UUID | None, resource: dict | None) -> dict:
    return {"principal": {"id": str(member.id), "kind": member.kind,
                          "clinic_id": str(member.clinic_id) if member.clinic_id else None},
            "action": action, "clinic_id": str(clinic_id) if clinic_id else None, "resource": resource}


# -- the gateway's world, made through its API ------------------------------------------------


@dataclass
class Account:
    """A signed-in account of the gateway's world; its tokens change when refreshed."""

    id: str
    clinic_slug: str
    role: str
    access_token: str
    refresh_token: str


class GatewayClient:
    """Seeding calls to the gateway (one per thread: a requests session is not shared)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, *, expect: int = 200, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.http.request(method, self.url + path, headers=headers, timeout=30, **kwargs)
        if response.status_code != expect:
            raise SystemExit(f"seeding: {method} {path} answered {response.status_code}, not {expect}: "
                             f"{response.text[:500]}")
        return response.json() if response.content else None

    def log_in(self, email: str, role: str, clinic_slug: str) -> Account:
        tokens = self.call("POST", "/v1/auth/login", json={"email": email, "password": PASSWORD})
        me = self.call("GET", "/v1/me", tokens["access_token"])
        return Account(me["id"], clinic_slug, role, tokens["access_token"], tokens["refresh_token"])

    def accept_invitation(self, mail: MailBox, email: str, role: str, clinic_slug: str) -> Account:
        self.call("POST", "/v1/auth/password-reset/confirm", expect=204,
                  json={"token": mail.token_for(email), "new_password": PASSWORD})
        return self.log_in(email, role, clinic_slug)

    def confirm_sign_up(self, mail: MailBox, email: str, clinic_slug: str) -> Account:
        self.call("POST", "/v1/auth/registration/confirm",
                  json={"token": mail.token_for(email), "password": PASSWORD})
        return self.log_in(email, "patient", clinic_slug)

    def refresh(self, account: Account) -> None:
        tokens = self.call("POST", "/v1/auth/refresh", json={"refresh_token": account.refresh_token})
        account.access_token, account.refresh_token = tokens["access_token"], tokens["refresh_token"]


def seed_gateway_clinic(gateway: str, mail: MailBox, operator: Account, number: int) -> list[Account]:
    """A clinic as the platform makes one: the operator registers it and appoints its admin, who
    defines a role and opens the staff's accounts; patients sign up. Everyone signed in."""
    http = GatewayClient(gateway)
    slug = f"bench-{RUN}-{number}"
    http.call("POST", "/v1/platform/clinics", operator.access_token, expect=201, json={
        "slug": slug, "name": f"Bench clinic {number}", "timezone": "Europe/Bucharest", "currency": "RON",
        "locale": "ro-RO"})
    email = f"admin@{slug}.example"
    http.call("POST", f"/v1/platform/clinics/{slug}/admins", operator.access_token, expect=201,
              json={"email": email, "display_name": "Ana Admin"})
    admin = http.accept_invitation(mail, email, "clinic_admin", slug)
    base = f"/v1/admin/clinics/{slug}"
    http.call("POST", f"{base}/roles", admin.access_token, expect=201, json=BILLING_CLERK)
    accounts = [admin]
    for kind, role, count in GATEWAY_STAFF:
        for n in range(count):
            email = f"{role}{n}@{slug}.example"
            http.call("POST", f"{base}/accounts", admin.access_token, expect=201, json={
                "kind": kind, "email": email, "display_name": f"{role.replace('-', ' ').title()} {n}",
                "roles": [role]})
            accounts.append(http.accept_invitation(mail, email, role, slug))
    for n in range(GATEWAY_PATIENTS):
        email = f"patient{n}@{slug}.example"
        http.call("POST", f"/v1/clinics/{slug}/patients/accounts", expect=202,
                  json={"email": email, "display_name": f"Patient {n}", "password": PASSWORD})
        accounts.append(http.confirm_sign_up(mail, email, slug))
    return accounts


@dataclass
class GatewayWorld:
    url: str
    accounts: list[Account]

    def refresh_tokens(self) -> None:
        """Fresh access tokens for everyone (they last 5 minutes)."""
        http = GatewayClient(self.url)
        for account in self.accounts:
            http.refresh(account)


@dataclass(frozen=True)
class AccountRead:
    """GET .../accounts/<read> by `reader`, and the answer the reader's roles call for."""

    reader: Account
    read: Account

    @property
    def path(self) -> str:
        return f"/v1/admin/clinics/{self.reader.clinic_slug}/accounts/{self.read.id}"

    @property
    def expected(self) -> int:
        allowed = (self.reader.role in READS_ANY_ACCOUNT
                   or self.reader.role in READS_OWN_ACCOUNT and self.read is self.reader)
        return 200 if allowed else 403


def account_reads(world: GatewayWorld, count: int, rng: random.Random) -> list[AccountRead]:
    """Each principal reading their own account or, as often, a colleague's."""
    colleagues: dict[str, list[Account]] = {}
    for account in world.accounts:
        colleagues.setdefault(account.clinic_slug, []).append(account)
    reads = []
    for _ in range(count):
        reader = rng.choice(world.accounts)
        read = reader if rng.random() < 0.5 else rng.choice([a for a in colleagues[reader.clinic_slug]
                                                              if a is not reader])
        reads.append(AccountRead(reader, read))
    return reads


# -- what the targets need, made when first needed --------------------------------------------


class Bench:
    """The services and seeded worlds the chosen targets use, each started or seeded when a target
    first needs it, and once."""

    def __init__(self, platform: Platform, options: argparse.Namespace) -> None:
        self.platform = platform
        self.options = options

    @cached_property
    def entitlements(self) -> str:
        return self.platform.start("entitlements", {"DATABASE_URL": self.platform.database("entitlements")})

    @cached_property
    def world(self) -> World:
        seeded_at = time.perf_counter()
        world = seed(self.entitlements, self.options.clinics)
        print(f"seeded entitlements: {len(world.clinics)} clinics, {len(world.members)} principals "
              f"in {time.perf_counter() - seeded_at:.1f} s")
        return world

    @cached_property
    def mail(self) -> MailBox:
        return MailBox(self.platform.stack)

    @cached_property
    def gateway_env(self) -> dict[str, str]:
        """The settings of every gateway-web here (one database, shared by them)."""
        catalog = self.platform.start("catalog", {"DATABASE_URL": self.platform.database("catalog")})
        # The services this benchmark does not start: a port nothing listens on, so the gateway
        # finds them down rather than reaching whatever runs on their default ports.
        absent = f"http://127.0.0.1:{free_ports(1)[0]}"
        env = {"CATALOG_URL": catalog, "ENTITLEMENTS_URL": self.entitlements, "SCHEDULING_URL": absent,
               "BILLING_URL": absent, "NOTIFICATIONS_URL": absent,
               "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.mail.port), "SMTP_SECURITY": "none",
               "RATE_LIMIT_LOGIN": UNLIMITED, "RATE_LIMIT_PASSWORD_RESET": UNLIMITED, "RATE_LIMIT_PUBLIC": UNLIMITED}
        env["DATABASE_URL"] = self.platform.database("gateway", {
            "BOOTSTRAP_OPERATOR_EMAIL": OPERATOR_EMAIL, "BOOTSTRAP_OPERATOR_PASSWORD": PASSWORD})
        return env

    @cached_property
    def gateway_world(self) -> GatewayWorld:
        gateway = self.platform.start("gateway", {**self.gateway_env,
                                                  "ACCESS_DECISION_CACHE_SECONDS": WARM_CACHE_SECONDS})
        seeded_at = time.perf_counter()
        operator = GatewayClient(gateway).log_in(OPERATOR_EMAIL, "operator", "")
        with link_mail_job(self.gateway_env), ThreadPoolExecutor(max_workers=4) as pool:
            clinics = list(pool.map(lambda n: seed_gateway_clinic(gateway, self.mail, operator, n),
                                    range(self.options.gateway_clinics)))
        world = GatewayWorld(gateway, [account for clinic in clinics for account in clinic])
        print(f"seeded the gateway: {len(clinics)} clinics, {len(world.accounts)} accounts signed in "
              f"in {time.perf_counter() - seeded_at:.1f} s")
        return world

    @cached_property
    def account_reads(self) -> list[AccountRead]:
        return account_reads(self.gateway_world, QUESTIONS, random.Random(7))


# -- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where a target's requests go, each already encoded as the bytes of an HTTP/1.1 request,
    with the status each one should be answered with."""

    host: str
    port: int
    requests: list[bytes]
    expected: list[int]


def post_json(host: str, port: int, path: str, body: dict, headers: dict[str, str] | None = None) -> bytes:
    payload = json.dumps(body).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
             f"Content-Length: {len(payload)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def http_get(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def entitlements_direct(bench: Bench) -> Endpoint:
    """POST /decisions straight at entitlements-web: the decision's own cost."""
    url = urlsplit(bench.entitlements)
    asked = questions(bench.world, QUESTIONS, random.Random(7))
    return Endpoint(url.hostname, url.port, [post_json(url.hostname, url.port, "/decisions", q) for q in asked],
                    [200] * len(asked))


def gateway_cached(bench: Bench) -> Endpoint:
    """The protected route at the gateway, its decision cache warmed first."""
    endpoint = _account_reads_at(bench, bench.gateway_world.url)
    warm_decision_cache(bench, bench.gateway_world.url)
    return endpoint


def gateway_uncached(bench: Bench) -> Endpoint:
    """The same at a gateway that remembers no decision: each request asks entitlements."""
    url = bench.platform.start("gateway-uncached", {**bench.gateway_env, "ACCESS_DECISION_CACHE_SECONDS": "0"},
                               service="gateway")
    return _account_reads_at(bench, url)


def _account_reads_at(bench: Bench, gateway: str) -> Endpoint:
    bench.gateway_world.refresh_tokens()
    url = urlsplit(gateway)
    reads = bench.account_reads
    return Endpoint(url.hostname, url.port, [
        http_get(url.hostname, url.port, read.path, {"Authorization": f"Bearer {read.reader.access_token}"})
        for read in reads], [read.expected for read in reads])


def warm_decision_cache(bench: Bench, gateway: str, quiet_passes: int = 3, most_passes: int = 30) -> None:
    """Send every distinct request, each on a new connection so that every gunicorn worker gets
    some, until `quiet_passes` passes in a row ask entitlements no decision."""
    distinct = {(read.path, read.reader.access_token): read.expected for read in bench.account_reads}

    def ask(call: tuple[str, str]) -> int:
        path, token = call
        return requests.get(gateway + path, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code

    quiet = passes = 0
    asked_at_start = decisions_made(bench.entitlements)
    while quiet < quiet_passes:
        if passes == most_passes:
            raise SystemExit(f"the decision cache was still missing after {passes} passes")
        before = decisions_made(bench.entitlements)
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(ask, distinct))
        wrong = sum(answer != expected for answer, expected in zip(answers, distinct.values()))
        if wrong:
            raise SystemExit(f"warming the decision cache: {wrong} answers differ from what the roles grant; "
                             f"see {LOGS}")
        passes += 1
        quiet = quiet + 1 if decisions_made(bench.entitlements) == before else 0
    print(f"decision cache warm: {len(distinct)} distinct requests, {passes} passes, "
          f"{decisions_made(bench.entitlements) - asked_at_start:.0f} decisions asked")


def decisions_made(entitlements: str) -> float:
    """POST /decisions answered by entitlements-web so far, from its request counter."""
    metrics = requests.get(f"{entitlements}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("clinic_http_requests_total{") and 'route="/decisions"' in line)


TARGETS: dict[str, Callable[[Bench], Endpoint]] = {
    "entitlements": entitlements_direct,
    "gateway": gateway_cached,
    "gateway-uncached": gateway_uncached,
}
GATEWAY_TARGETS = ("gateway", "gateway-uncached")


# -- the open-loop load -----------------------------------------------------------------------


@dataclass
class Answer:
    request: int
    planned: float
    done: float
    status: int
    server_ms: float | None


class Connections:
    """Keep-alive connections to one endpoint; a request takes an idle one or opens another."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def exchange(self, request: bytes) -> tuple[int, float | None]:
        if self.idle:
            reader, writer = self.idle.pop()
            try:
                return await self._send(reader, writer, request)
            except (OSError, asyncio.IncompleteReadError):
                # The server closed this idle keep-alive connection (gunicorn's keepalive), as
                # any HTTP client finds now and then; every request here is safe to send again.
                writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.opened += 1
        return await self._send(reader, writer, request)

    async def _send(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, float | None]:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status, headers = _parse_head(head)
        await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer))
        timing = headers.get("server-timing")
        return status, float(timing.split("dur=")[1].split(",")[0]) if timing else None

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


async def steady_load(endpoint: Endpoint, rate: float, seconds: float, offset: int) -> tuple[list[Answer], int]:
    """Send `rate` requests per second for `seconds`, on schedule whatever the answers do; the
    answers, and how many connections that took."""
    connections = Connections(endpoint.host, endpoint.port)
    loop = asyncio.get_running_loop()
    answers: list[Answer] = []
    pending = set()
    total = int(rate * seconds)
    started = loop.time()

    async def one(n: int, planned: float) -> None:
        index = (offset + n) % len(endpoint.requests)
        try:
            status, server_ms = await connections.exchange(endpoint.requests[index])
        except (OSError, asyncio.IncompleteReadError):
            status, server_ms = 0, None
        answers.append(Answer(index, planned, loop.time(), status, server_ms))

    for n in range(total):
        planned = started + n / rate
        delay = planned - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(n, planned))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    connections.close()
    return answers, connections.opened


# -- reporting --------------------------------------------------------------------------------


def cpu_per_request(platform: Platform, before: dict, after: dict,
                    requests_answered: int) -> list[tuple[str, float, list[float]]]:
    """Milliseconds of CPU per request spent by each part between two snapshots, most first, with
    those of each process of a web part. A web part is one this run started (its gunicorn master
    and workers: one worker well above the others is one whose connections carried most of the
    load, and a gunicorn worker runs Python on one core at a time); PostgreSQL is split between the
    backends serving this run's databases and the rest (its background processes, other
    databases); "everything else" is what other programs on the machine took meanwhile."""
    started = {pid: name for name, pid in platform.pids.items()}

    def part(pid: int, parent: int, command: str) -> str:
        if pid == os.getpid():
            return "load generator (this script)"
        if pid in started or parent in started:
            return f"{started.get(pid) or started[parent]}-web"
        if command.startswith("postgres"):
            ours = f" bench_decisions_{RUN}_" in command
            return "PostgreSQL (this run's databases)" if ours else "PostgreSQL (shared, other databases)"
        return "everything else"

    spent: dict[str, list[float]] = {}
    for pid, parent, command, used in cpu_used(before, after):
        spent.setdefault(part(pid, parent, command), []).append(used / requests_answered * 1000)
    return sorted(((key, sum(ms), sorted(ms, reverse=True) if key.endswith("-web") else [])
                   for key, ms in spent.items()), key=lambda kv: -kv[1])


def report(name: str, endpoint: Endpoint, answers: list[Answer], connections: int, rate: float, seconds: float,
           decisions: float, busy: float, cpu: list[tuple[str, float, list[float]]]) -> None:
    ok = [a for a in answers if a.status == endpoint.expected[a.request]]
    client = sorted((a.done - a.planned) * 1000 for a in ok)
    server = sorted(a.server_ms for a in ok if a.server_ms is not None)
    elapsed = max(a.done for a in answers) - min(a.planned for a in answers)
    answered = Counter(a.status for a in ok)
    failed = Counter((endpoint.expected[a.request], a.status) for a in answers
                     if a.status != endpoint.expected[a.request])
    print(f"{name}: {rate:.0f} req/s offered for {seconds:.0f} s; achieved {len(ok) / elapsed:.0f} req/s "
          f"({len(ok)} answered as expected: " + ", ".join(f"{n} {status}" for status, n in sorted(answered.items()))
          + "".join(f"; {n} {status or 'no answer'} where {expected} was due"
                    for (expected, status), n in failed.items()) + f"; over {connections} connections)")
    if client:
        print(f"  client  p50 {percentile(client, 50):6.2f} ms   p90 {percentile(client, 90):6.2f} ms   "
              f"p99 {percentile(client, 99):6.2f} ms   max {client[-1]:7.2f} ms")
    if server:
        print(f"  inside entitlements (Server-Timing)  p50 {percentile(server, 50):6.2f} ms   "
              f"p99 {percentile(server, 99):6.2f} ms   max {server[-1]:7.2f} ms")
    print(f"  decisions made by entitlements meanwhile: {decisions:.0f} ({decisions / len(answers):.3f} per request)")
    print(f"  whole machine ({os.cpu_count()} cores) busy: {busy:.0%}; CPU per request by part:")
    for part, ms, by_process in cpu:
        processes = f"   ({' + '.join(f'{p:.2f}' for p in by_process)})" if len(by_process) > 1 else ""
        print(f"    {part:<36} {ms:5.2f} ms{processes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="requests per second offered")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per target")
    parser.add_argument("--clinics", type=int, default=50, help="clinics seeded in entitlements, 20 principals each")
    parser.add_argument("--gateway-clinics", type=int, default=5,
                        help="clinics seeded through the gateway, 10 accounts each")
    parser.add_argument("--web-concurrency", type=int, default=2, help="gunicorn workers per web process")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS),
                        help=f"comma- or space-separated, of {', '.join(TARGETS)} (default: all)")
    args = parser.parse_args()
    targets = [name for given in args.targets for name in given.split(",") if name]
    unknown = [name for name in targets if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    if args.seconds > LONGEST_GATEWAY_RUN and set(targets) & set(GATEWAY_TARGETS):
        parser.error(f"the gateway's access tokens last {ACCESS_TOKEN_SECONDS} s: "
                     f"--seconds at most {LONGEST_GATEWAY_RUN} with a gateway target")
    # A polite stop (kill, a CI timeout) unwinds like Ctrl-C, so everything is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    LOGS.mkdir(parents=True, exist_ok=True)
    print(f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with ExitStack() as stack:
        bench = Bench(Platform(stack, args.web_concurrency), args)
        for name in targets:
            endpoint = TARGETS[name](bench)
            asyncio.run(steady_load(endpoint, args.rate, WARM_UP_SECONDS, offset=0))
            decisions_before = decisions_made(bench.entitlements)
            busy_before, total_before = machine_cpu()
            before = cpu_by_process()
            answers, connections = asyncio.run(steady_load(endpoint, args.rate, args.seconds,
                                                           offset=int(args.rate * 3)))
            after = cpu_by_process()
            busy_after, total_after = machine_cpu()
            report(name, endpoint, answers, connections, args.rate, args.seconds,
                   decisions_made(bench.entitlements) - decisions_before,
                   (busy_after - busy_before) / (total_after - total_before),
                   cpu_per_request(bench.platform, before, after, len(answers)))
    print(f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
