"""Benchmark: access decisions at a steady rate, seen by the caller and inside entitlements.

    uv run python bench/decisions.py [--rate 200] [--seconds 20] [--web-concurrency 2]

Needs PostgreSQL (TEST_POSTGRES_URL, defaulting to the local server). It creates a throw-away
database bench_decisions_<random> (dropped at the end), brings it to the newest schema with
`entitlements-migrate`, and starts `entitlements-web` (gunicorn, exactly as the platform runs it:
the console script, its default workers and threads, JSON logs at INFO into var/bench/) on a
free port. Through the service's own API it then seeds --clinics clinics (default 50) of 20
principals each: a clinic admin, receptionists, specialists and patients holding built-in roles,
some also holding one of three clinic-defined roles, and one member of staff with no role.

Each target then gets --seconds (after 3 s of warm-up at the same rate, not measured) of
questions sent open-loop: the n-th request leaves at start + n/rate whether or not earlier ones
were answered (over as many keep-alive connections as that needs), and its latency runs from
that planned moment to the last byte of the answer, so a stall delays every request behind it
in the figures too. The questions vary: principals of every kind asking for their usual actions
and others, on their own resources and on other people's, now and then in another clinic, and
operators asking for platform and clinic actions. Printed per target: the rate achieved,
client-side p50/p90/p99/max, and, where the answer carries `Server-Timing: app;dur=<ms>`, the
time spent inside entitlements (p50/p99; it excludes gunicorn's own parsing and writing); then
how busy the machine was. Run it on an otherwise idle machine.

Targets (TARGETS below): `entitlements`, POST /decisions straight at entitlements-web. Another
target is a function taking the running `Platform` and the seeded `World` and returning the
`Endpoint` to send to (e.g. the gateway, with its decision cache warmed beforehand).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SCRIPTS = Path(sys.executable).parent
LOGS = ROOT / "var" / "bench"
WARM_UP_SECONDS = 3
QUESTIONS = 20_000

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


# -- the database and the service -------------------------------------------------------------


class Database:
    def __init__(self) -> None:
        self.admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        self.name = f"bench_decisions_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.url = sa.make_url(POSTGRES).set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Platform:
    """What runs for the benchmark; `stack` stops it all."""

    database: Database
    stack: ExitStack
    web_concurrency: int
    services: dict[str, str] = field(default_factory=dict)  # name -> base URL

    def start(self, service: str, env: dict[str, str]) -> str:
        """Start `<service>-web` as the platform does (console script, gunicorn); its base URL."""
        port = free_port()
        metrics = LOGS / f"metrics-{service}-{port}"
        log = self.stack.enter_context((LOGS / f"{service}-web.log").open("w"))
        process = subprocess.Popen(
            [str(SCRIPTS / f"{service}-web")],
            env={**os.environ, "AMQP_URL": AMQP, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
                 "WEB_CONCURRENCY": str(self.web_concurrency), "PROMETHEUS_MULTIPROC_DIR": str(metrics), **env},
            stdout=log, stderr=log,
        )
        self.stack.callback(shutil.rmtree, metrics, ignore_errors=True)
        self.stack.callback(_stop, process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/readyz", timeout=1).status_code == 200:
                    self.services[service] = url
                    return url
            except requests.RequestException:
                pass
            if process.poll() is not None:
                break
            time.sleep(0.2)
        raise SystemExit(f"{service}-web did not become ready; see {LOGS}")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def start_entitlements(platform: Platform) -> str:
    env = {"DATABASE_URL": platform.database.url}
    subprocess.run([str(SCRIPTS / "entitlements-migrate")], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return platform.start("entitlements", env)


# -- the seeded world and the questions -------------------------------------------------------


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


# -- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """Where a target's requests go, each already encoded as the bytes of an HTTP/1.1 request."""

    host: str
    port: int
    requests: list[bytes]


def post_json(host: str, port: int, path: str, body: dict, headers: dict[str, str] | None = None) -> bytes:
    payload = json.dumps(body).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
             f"Content-Length: {len(payload)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def entitlements_direct(platform: Platform, world: World, asked: list[dict]) -> Endpoint:
    """POST /decisions straight at entitlements-web: the decision's own cost."""
    url = urlsplit(platform.services["entitlements"])
    return Endpoint(url.hostname, url.port, [post_json(url.hostname, url.port, "/decisions", q) for q in asked])


TARGETS: dict[str, Callable[[Platform, World, list[dict]], Endpoint]] = {
    "entitlements": entitlements_direct,
}


# -- the open-loop load -----------------------------------------------------------------------


@dataclass
class Answer:
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
                # any HTTP client finds now and then; a decision is safe to ask again.
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


async def steady_load(endpoint: Endpoint, rate: float, seconds: float, offset: int) -> list[Answer]:
    """Send `rate` requests per second for `seconds`, on schedule whatever the answers do."""
    connections = Connections(endpoint.host, endpoint.port)
    loop = asyncio.get_running_loop()
    answers: list[Answer] = []
    pending = set()
    total = int(rate * seconds)
    started = loop.time()

    async def one(n: int, planned: float) -> None:
        request = endpoint.requests[(offset + n) % len(endpoint.requests)]
        try:
            status, server_ms = await connections.exchange(request)
        except (OSError, asyncio.IncompleteReadError):
            status, server_ms = 0, None
        answers.append(Answer(planned, loop.time(), status, server_ms))

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
    return answers


# -- reporting --------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by every process on the machine: pid -> (command line, seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    usage = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        usage[int(entry.name)] = (command, (int(stat[11]) + int(stat[12])) / tick)
    return usage


def cpu_per_request(before: dict, after: dict, requests_answered: int) -> dict[str, float]:
    """Milliseconds of CPU per request spent by each part between two snapshots; "everything
    else" is what other programs on the machine took meanwhile."""
    def part(pid: int, command: str) -> str:
        if pid == os.getpid():
            return "load generator (this script)"
        for service in ("entitlements", "gateway"):
            if f"{service}.entrypoints.web" in command:
                return f"{service}-web"
        if "postgres" in command:
            return "PostgreSQL"
        return "everything else"

    spent: dict[str, float] = {}
    for pid, (command, seconds) in after.items():
        used = seconds - before.get(pid, (command, 0.0))[1]
        if used > 0:
            key = part(pid, command)
            spent[key] = spent.get(key, 0.0) + used
    return {key: seconds / requests_answered * 1000 for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1])}


def report(name: str, answers: list[Answer], rate: float, seconds: float, busy: float,
           cpu: dict[str, float]) -> None:
    ok = [a for a in answers if a.status == 200]
    client = sorted((a.done - a.planned) * 1000 for a in ok)
    server = sorted(a.server_ms for a in ok if a.server_ms is not None)
    elapsed = max(a.done for a in answers) - min(a.planned for a in answers)
    failed = Counter(a.status for a in answers if a.status != 200)
    print(f"{name}: {rate:.0f} req/s offered for {seconds:.0f} s; achieved {len(ok) / elapsed:.0f} req/s "
          f"({len(ok)} answered 200" + "".join(f", {n} {status or 'no answer'}" for status, n in failed.items()) + ")")
    print(f"  client  p50 {percentile(client, 50):6.2f} ms   p90 {percentile(client, 90):6.2f} ms   "
          f"p99 {percentile(client, 99):6.2f} ms   max {client[-1]:7.2f} ms")
    if server:
        print(f"  inside entitlements (Server-Timing)  p50 {percentile(server, 50):6.2f} ms   "
              f"p99 {percentile(server, 99):6.2f} ms   max {server[-1]:7.2f} ms")
    print(f"  whole machine ({os.cpu_count()} cores) busy: {busy:.0%}; CPU per request by part:")
    for part, ms in cpu.items():
        print(f"    {part:<30} {ms:5.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="requests per second offered")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per target")
    parser.add_argument("--clinics", type=int, default=50, help="clinics seeded, 20 principals each")
    parser.add_argument("--web-concurrency", type=int, default=2, help="gunicorn workers per web process")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    args = parser.parse_args()

    LOGS.mkdir(parents=True, exist_ok=True)
    print(f"load average before the run: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    database = Database()
    with ExitStack() as stack:
        stack.callback(database.drop)
        platform = Platform(database, stack, args.web_concurrency)
        entitlements = start_entitlements(platform)
        seeded_at = time.perf_counter()
        world = seed(entitlements, args.clinics)
        print(f"seeded {len(world.clinics)} clinics, {len(world.members)} principals "
              f"in {time.perf_counter() - seeded_at:.1f} s")
        asked = questions(world, QUESTIONS, random.Random(7))
        for name in args.targets:
            endpoint = TARGETS[name](platform, world, asked)
            asyncio.run(steady_load(endpoint, args.rate, WARM_UP_SECONDS, offset=0))
            busy_before, total_before = machine_cpu()
            before = cpu_by_process()
            answers = asyncio.run(steady_load(endpoint, args.rate, args.seconds, offset=int(args.rate * 3)))
            after = cpu_by_process()
            busy_after, total_after = machine_cpu()
            report(name, answers, args.rate, args.seconds, (busy_after - busy_before) / (total_after - total_before),
                   cpu_per_request(before, after, len(answers)))


if __name__ == "__main__":
    main()
