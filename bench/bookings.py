"""Benchmark: bookings through the gateway, each on a slot of its own: bookings/s, p50, p99.

    uv run python bench/bookings.py [--rate 200] [--seconds 20] [--providers 5] [--web-concurrency 2]

Needs PostgreSQL and RabbitMQ (TEST_POSTGRES_URL / TEST_AMQP_URL, defaulting to the local
servers). Every service it starts gets a throw-away database bench_bookings_<run>_<service>,
brought to the newest schema with `<service>-migrate`, and runs as the platform runs it, from its
console scripts on free ports (JSON logs at INFO into var/bench/): catalog-web and catalog-worker,
scheduling-web and scheduling-worker (it relays the appointments' events and expires holds, as in
production), entitlements-web (a guest's booking asks whether the plan has room for another
patient; "no limit" is remembered for 30 s) and entitlements-worker (it keeps the patient and
appointment read models from scheduling's events, as in production), and gateway-web, all on a
throw-away broker namespace. The gateway's other services point at a port nothing listens on (a
guest's booking needs none of them). Its rate limits count in Redis (TEST_REDIS_URL, default the
local server, under a key prefix of the run's own), as deployed, and its RATE_LIMIT_PUBLIC bucket
is raised: the load comes from one address. Databases, broker namespace
and processes are removed at the end, also when the run fails or is interrupted (Ctrl-C, SIGTERM).

Seeding: a clinic, --providers specialists and one 30-minute service they all give, made through
catalog's own API (the gateway's admin routes would need a signed-in clinic admin and a plan with
room for the specialists, which the booking path never reads); catalog's events reach scheduling's
read model through the broker, as they do in production. Scheduling's availability API then opens
every day, all day, for every specialist. The free slots are read through the gateway's public
slots route (the slot engine), and the bookings take them in a random order, each slot once: no
booking competes with another for its time, so every answer due is 201.

Load: POST /v1/clinics/<slug>/bookings, a guest patient each (name, email, mobile, SMS consent),
the slot's provider_id and start, and an Idempotency-Key each, sent open-loop at --rate for
--seconds after 3 s of warm-up at the same rate (not measured): the n-th request leaves at
start + n/rate whether or not earlier ones were answered, and its latency runs from that planned
moment to the last byte of the answer. Printed: bookings/s achieved, the answers, client-side
p50/p90/p99/max over the 201s, how busy the machine was and the CPU per booking of each part.
Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from decisions import Answer, Endpoint, migrated_database, post_json, ready, steady_load, stop
from measure import cpu_by_process, cpu_used, machine_cpu, percentile

from clinic_runtime.devstack import free_ports
from clinic_runtime.messaging.topology import Topology, connect

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SCRIPTS = Path(sys.executable).parent
LOGS = ROOT / "var" / "bench"
RUN = uuid.uuid4().hex[:8]
NAMESPACE = f"bench_bookings_{RUN}"
WARM_UP_SECONDS = 3
SLOT_MINUTES = 30
SLOT_WINDOW_DAYS = 31  # days of slots asked at once (the route takes at most 62)
UNLIMITED = "1000000/minute"
# The consumer group whose queue the workers started here declare (deleted with the namespace).
CONSUMER_GROUPS = ["scheduling", "entitlements"]


# -- databases and processes ------------------------------------------------------------------


@dataclass
class Platform:
    """What runs for the benchmark; `stack` stops and removes it all, in reverse order."""

    stack: ExitStack
    web_concurrency: int
    pids: dict[str, int] = field(default_factory=dict)  # process name -> pid

    def database(self, service: str) -> str:
        """A fresh database for `service` at the newest schema; its URL."""
        return migrated_database(self.stack, f"bench_bookings_{RUN}_{service}", service)

    def start(self, service: str, process: str, env: dict[str, str]) -> str:
        """Start `<service>-<process>` (web or worker) on a free port; its base URL once ready."""
        port = free_ports(1)[0]
        name = f"{service}-{process}"
        common = {"AMQP_URL": AMQP, "BROKER_NAMESPACE": NAMESPACE}
        if process == "web":
            metrics = LOGS / f"metrics-{name}-{port}"
            self.stack.callback(shutil.rmtree, metrics, ignore_errors=True)
            common |= {"HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port), "WEB_CONCURRENCY": str(self.web_concurrency),
                       "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
        else:
            common |= {"WORKER_HOST": "127.0.0.1", "WORKER_PORT": str(port)}
        log = self.stack.enter_context((LOGS / f"{name}.log").open("w"))
        started = subprocess.Popen([str(SCRIPTS / name)], env={**os.environ, **common, **env}, stdout=log, stderr=log)
        self.stack.callback(stop, started)
        self.pids[name] = started.pid
        return ready(f"http://127.0.0.1:{port}", started, name)


async def delete_namespace() -> None:
    connection = await connect(AMQP)
    async with connection:
        await Topology(NAMESPACE).delete(await connection.channel(), CONSUMER_GROUPS)


@dataclass(frozen=True)
class Services:
    catalog: str
    scheduling: str
    gateway: str


def start_platform(platform: Platform) -> Services:
    catalog_env = {"DATABASE_URL": platform.database("catalog")}
    scheduling_env = {"DATABASE_URL": platform.database("scheduling")}
    gateway_db = platform.database("gateway")
    platform.stack.callback(lambda: asyncio.run(delete_namespace()))
    catalog = platform.start("catalog", "web", catalog_env)
    platform.start("catalog", "worker", catalog_env)
    scheduling = platform.start("scheduling", "web", scheduling_env)
    platform.start("scheduling", "worker", scheduling_env)
    entitlements_env = {"DATABASE_URL": platform.database("entitlements")}
    entitlements = platform.start("entitlements", "web", entitlements_env)
    platform.start("entitlements", "worker", entitlements_env)
    absent = f"http://127.0.0.1:{free_ports(1)[0]}"
    gateway = platform.start("gateway", "web", {
        "DATABASE_URL": gateway_db, "CATALOG_URL": catalog, "SCHEDULING_URL": scheduling,
        "ENTITLEMENTS_URL": entitlements, "BILLING_URL": absent, "NOTIFICATIONS_URL": absent,
        "RATE_LIMIT_PUBLIC": UNLIMITED, "REDIS_URL": REDIS, "REDIS_KEY_PREFIX": f"{NAMESPACE}:"})
    return Services(catalog, scheduling, gateway)


# -- the clinic, its specialists and their free slots ----------------------------------------


@dataclass(frozen=True)
class Clinic:
    id: str
    slug: str
    service_id: str
    provider_ids: list[str]


def call(http: requests.Session, method: str, url: str, *, expect: int = 200, **kwargs) -> requests.Response:
    response = http.request(method, url, timeout=30, **kwargs)
    if response.status_code != expect:
        raise SystemExit(f"seeding: {method} {url} answered {response.status_code}, not {expect}: "
                         f"{response.text[:500]}")
    return response


def seed(services: Services, providers: int) -> Clinic:
    """The clinic in catalog; its specialists open all day, every day, in scheduling."""
    http = requests.Session()
    slug = f"bench-bookings-{RUN}"
    clinic_id = call(http, "POST", f"{services.catalog}/clinics", expect=201, json={
        "slug": slug, "name": "Bench physiotherapy", "timezone": "Europe/Bucharest", "currency": "RON",
        "locale": "ro-RO"}).json()["id"]
    base = f"{services.catalog}/clinics/{clinic_id}"
    provider_ids = [call(http, "POST", f"{base}/providers", expect=201, json={
        "name": f"Dr. Bench {n}", "email": f"specialist{n}@{slug}.example", "mobile": f"+4074{n:07d}",
        "timezone": "Europe/Bucharest"}).json()["id"] for n in range(providers)]
    service_id = call(http, "POST", f"{base}/services", expect=201, json={
        "name": "Physiotherapy session", "description": "Benchmark service.", "duration_minutes": SLOT_MINUTES,
        "price": {"amount_minor": 15000, "currency": "RON"}, "provider_ids": provider_ids}).json()["id"]

    # Catalog's events reach scheduling's read model through the broker.
    scheduling = f"{services.scheduling}/clinics/{clinic_id}"
    waiting = [f"{scheduling}/services/{service_id}", *(f"{scheduling}/providers/{p}" for p in provider_ids)]
    deadline = time.monotonic() + 60
    while waiting:
        if time.monotonic() > deadline:
            raise SystemExit(f"scheduling did not learn of {waiting} from catalog's events; see {LOGS}")
        waiting = [url for url in waiting if http.get(url, timeout=10).status_code != 200]
        time.sleep(0.2)

    every_day = [{"weekday": weekday, "start": "00:00", "end": "24:00"} for weekday in range(1, 8)]
    for provider_id in provider_ids:
        availability = f"{scheduling}/providers/{provider_id}/availability"
        version = call(http, "GET", availability).headers["ETag"]
        call(http, "PUT", availability, headers={"If-Match": version},
             json={"timezone": "Europe/Bucharest", "rules": every_day})
    return Clinic(clinic_id, slug, service_id, provider_ids)


def free_slots(gateway: str, clinic: Clinic, wanted: int) -> list[dict]:
    """`wanted` free slots, read through the gateway's public slots route (the slot engine),
    window after window from tomorrow on, every specialist's."""
    http = requests.Session()
    slots: list[dict] = []
    first = date.today() + timedelta(days=1)
    while len(slots) < wanted:
        last = first + timedelta(days=SLOT_WINDOW_DAYS - 1)
        found = call(http, "GET", f"{gateway}/v1/clinics/{clinic.slug}/services/{clinic.service_id}/slots",
                     params={"from": first.isoformat(), "to": last.isoformat(), "tz": "Europe/Bucharest"}
                     ).json()["slots"]
        if not found:
            raise SystemExit(f"only {len(slots)} free slots offered; ask for fewer bookings or more --providers")
        slots.extend(found)
        first = last + timedelta(days=1)
    return slots[:wanted]


def bookings(gateway: str, clinic: Clinic, slots: list[dict]) -> Endpoint:
    """One booking per slot, each by its own guest patient, in a random order."""
    url = urlsplit(gateway)
    path = f"/v1/clinics/{clinic.slug}/bookings"
    taken = list(slots)
    random.Random(7).shuffle(taken)
    encoded = [post_json(url.hostname, url.port, path, {
        "service_id": clinic.service_id, "provider_id": slot["provider_id"], "start": slot["start"],
        "patient": {"name": f"Bench Patient {n}", "email": f"patient{n}@{clinic.slug}.example",
                    "mobile": f"+4075{n:07d}"},
        "sms_consent": {"given": True, "text_version": "2026-01"},
    }, {"Idempotency-Key": f"bench-{RUN}-{n}"}) for n, slot in enumerate(taken)]
    return Endpoint(url.hostname, url.port, encoded, [201] * len(encoded))


# -- reporting --------------------------------------------------------------------------------


def cpu_per_booking(platform: Platform, before: dict, after: dict, answered: int) -> list[tuple[str, float]]:
    """Milliseconds of CPU per booking spent by each part between two snapshots, most first."""
    started = {pid: name for name, pid in platform.pids.items()}

    def part(pid: int, parent: int, command: str) -> str:
        if pid == os.getpid():
            return "load generator (this script)"
        if pid in started or parent in started:
            return started.get(pid) or started[parent]
        if command.startswith("postgres"):
            return "PostgreSQL (this run's databases)" if f" bench_bookings_{RUN}_" in command else "PostgreSQL (other)"
        if "beam.smp" in command:
            return "RabbitMQ"
        return "everything else"

    spent: Counter[str] = Counter()
    for pid, parent, command, used in cpu_used(before, after):
        spent[part(pid, parent, command)] += used / answered * 1000
    return spent.most_common()


def report(endpoint: Endpoint, answers: list[Answer], rate: float, seconds: float, busy: float,
           cpu: list[tuple[str, float]]) -> None:
    booked = [a for a in answers if a.status == 201]
    latencies = sorted((a.done - a.planned) * 1000 for a in booked)
    elapsed = max(a.done for a in answers) - min(a.planned for a in answers)
    others = Counter(a.status for a in answers if a.status != 201)
    print(f"bookings: {rate:.0f}/s offered for {seconds:.0f} s; achieved {len(booked) / elapsed:.0f} bookings/s "
          f"({len(booked)} answered 201" + "".join(f"; {n} {status or 'no answer'}" for status, n in others.items())
          + ")")
    if latencies:
        print(f"  client  p50 {percentile(latencies, 50):6.2f} ms   p90 {percentile(latencies, 90):6.2f} ms   "
              f"p99 {percentile(latencies, 99):6.2f} ms   max {latencies[-1]:7.2f} ms")
    print(f"  whole machine ({os.cpu_count()} cores) busy: {busy:.0%}; CPU per booking by part:")
    for name, ms in cpu:
        print(f"    {name:<36} {ms:5.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="bookings per second offered")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds")
    parser.add_argument("--providers", type=int, default=5, help="specialists giving the service")
    parser.add_argument("--web-concurrency", type=int, default=2, help="gunicorn workers per web process")
    args = parser.parse_args()
    # A polite stop (kill, a CI timeout) unwinds like Ctrl-C, so everything is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    LOGS.mkdir(parents=True, exist_ok=True)
    print(f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with ExitStack() as stack:
        platform = Platform(stack, args.web_concurrency)
        services = start_platform(platform)
        seeded_at = time.perf_counter()
        clinic = seed(services, args.providers)
        warm_up = int(args.rate * WARM_UP_SECONDS)
        slots = free_slots(services.gateway, clinic, warm_up + int(args.rate * args.seconds))
        endpoint = bookings(services.gateway, clinic, slots)
        print(f"seeded: 1 clinic, {args.providers} specialists open all day, {len(slots)} free slots to book "
              f"in {time.perf_counter() - seeded_at:.1f} s ({datetime.now(UTC):%H:%M:%S} UTC)")
        asyncio.run(steady_load(endpoint, args.rate, WARM_UP_SECONDS, offset=0))
        busy_before, total_before = machine_cpu()
        before = cpu_by_process()
        answers, _ = asyncio.run(steady_load(endpoint, args.rate, args.seconds, offset=warm_up))
        after = cpu_by_process()
        busy_after, total_after = machine_cpu()
        report(endpoint, answers, args.rate, args.seconds, (busy_after - busy_before) / (total_after - total_before),
               cpu_per_booking(platform, before, after, len(answers)))
    print(f"load average after the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
