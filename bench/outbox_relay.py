"""Benchmark: outbox relay throughput against the raw client, and commit-to-effect latency.

    uv run python bench/outbox_relay.py [--events 20000] [--rate 500] [--seconds 20]

Needs PostgreSQL and RabbitMQ (TEST_POSTGRES_URL / TEST_AMQP_URL, defaulting to the local servers).
It creates throw-away databases and a throw-away broker namespace and removes them afterwards.

1. raw:     aio-pika publishing persistent, mandatory messages on a publisher-confirm channel,
            the envelope-sized body, with one batch unconfirmed at once and with as many as the
            relay may have: the faster is the client's own limit on this machine.
2. relay:   the outbox relay (the worker's code: its run loop, several claimed batches awaiting
            their confirms at once) draining a pre-filled outbox of --events rows into the same
            queue, until every row is marked published: events/s, and its ratio to raw.
3. latency: catalog's real worker relays and scheduling's real worker consumes while events are
            committed into catalog's outbox at a steady --rate for --seconds (after 3 s of
            warm-up at the same rate, not measured); latency is from the
            producing transaction's commit to the consumer's committed effect (scheduling's inbox
            row), both read from the databases' clocks on this one machine: p50, p99, max.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import psycopg
import requests
import sqlalchemy as sa
from measure import cpu_by_process, cpu_used, machine_cpu, percentile
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.messaging.outbox import OutboxStore, emit
from clinic_runtime.messaging.publisher import ConfirmingPublisher
from clinic_runtime.messaging.relay import MAX_BATCHES_IN_FLIGHT, OutboxRelay
from clinic_runtime.messaging.tables import OutboxState, inbox, outbox
from clinic_runtime.messaging.topology import Topology, connect
from clinic_runtime.messaging.wakeup import NOTIFY, RelayWakeup
from clinic_runtime.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
EVENT_TYPE = ClinicUpsertedV1.event_type
BATCH = 200
# As many unconfirmed at once as the relay may have: its batches awaiting their confirms side by side.
IN_FLIGHT = BATCH * MAX_BATCHES_IN_FLIGHT
WARM_UP_SECONDS = 3


def an_event(n: int) -> tuple[ClinicUpsertedV1, uuid.UUID]:
    clinic_id = uuid.uuid4()
    return ClinicUpsertedV1(clinic_id=clinic_id, slug=f"bench-{n}", name=f"Bench clinic {n}",
                            timezone="Europe/Bucharest", currency="RON", locale="ro-RO", version=1,
                            updated_at=datetime.now(UTC)), clinic_id


class Databases:
    def __init__(self) -> None:
        self.admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self, label: str) -> str:
        name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as c:
            for name in self.names:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def raw_rate(topology: Topology, body: bytes, count: int, in_flight: int) -> float:
    connection = await aio_pika.connect(AMQP)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(topology.events_exchange)
        window = asyncio.Semaphore(in_flight)

        async def publish() -> None:
            async with window:
                await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                                        message_id=str(uuid.uuid4())),
                                       routing_key=EVENT_TYPE, mandatory=True)

        started = time.perf_counter()
        await asyncio.gather(*(publish() for _ in range(count)))
        return count / (time.perf_counter() - started)


class SettlementCounter(OutboxStore):
    """The relay's store, telling when `expected` rows have been marked published."""

    def __init__(self, engine: sa.Engine, expected: int) -> None:
        super().__init__(engine, lease=timedelta(seconds=30))
        self._expected = expected
        self._settled = 0
        self._lock = threading.Lock()  # batches settle from several threads at once
        self.all_settled = threading.Event()

    def settle(self, published: list[int], failed: dict[int, tuple[int, str]]) -> None:
        super().settle(published, failed)
        with self._lock:
            self._settled += len(published)
            if self._settled >= self._expected:
                self.all_settled.set()


async def relay_rate(topology: Topology, database_url: str, count: int) -> float:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    for start in range(0, count, 1000):
        with transaction(sessions) as session:
            for n in range(start, min(start + 1000, count)):
                event, clinic_id = an_event(n)
                emit(session, event, clinic_id=clinic_id)
    publisher = ConfirmingPublisher(AMQP, topology.events_exchange)
    await publisher.start()
    store = SettlementCounter(engine, count)
    relay = OutboxRelay(store, publisher, RelayWakeup(), service="bench", batch_size=BATCH, idle_sleep=0.01)
    stop = asyncio.Event()
    started = time.perf_counter()
    # The worker's own loop, batches in flight side by side, until every row is marked published.
    running = asyncio.create_task(relay.run(stop))
    await asyncio.to_thread(store.all_settled.wait)
    elapsed = time.perf_counter() - started
    stop.set()
    await running
    await publisher.stop()
    with sessions() as s:
        assert s.execute(sa.select(sa.func.count()).where(outbox.c.state == OutboxState.PUBLISHED)).scalar() == count
    return count / elapsed


async def declare_bench_queue(topology: Topology) -> None:
    connection = await connect(AMQP)
    async with connection:
        channel = await connection.channel()
        await topology.declare_group(channel, "bench", [EVENT_TYPE], delivery_limit=5)


async def purge_bench_queue(topology: Topology) -> None:
    connection = await connect(AMQP)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(topology.group_queue("bench"))
        await queue.purge()


async def delete_namespace(topology: Topology) -> None:
    connection = await connect(AMQP)
    async with connection:
        await topology.delete(await connection.channel(), ["bench", "scheduling"])


def start_worker(service: str, env: dict[str, str], port: int, logs: Path, n: int = 0) -> subprocess.Popen:
    log = (logs / f"{service}-worker-{n}.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).parent / f"{service}-worker")],
                               env={**os.environ, **env, "WORKER_PORT": str(port)}, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{service} worker did not become ready; see {logs}")


def steady_producer(database_url: str, rate: int, seconds: float) -> tuple[int, float]:
    """Commit one event per transaction at `rate` per second; returns how many were committed
    and the seconds it took (more than `seconds` if the machine could not keep the rate).

    It writes exactly the rows `record` writes (the statement is compiled from the outbox table,
    followed by the same NOTIFY), but through psycopg directly with envelopes wrapped beforehand:
    in production these commits come from web processes elsewhere, and on this 2-core machine
    the load generator must not compete with the system it measures.
    """
    statement = sa.insert(outbox).compile(dialect=postgresql_psycopg.dialect(), column_keys=list(OUTBOX_ROW))
    envelopes = [Envelope.wrap(event, clinic_id=clinic_id, correlation_id=str(uuid.uuid4()))
                 for event, clinic_id in (an_event(n) for n in range(int(rate * seconds)))]
    conninfo = sa.make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    interval = 1.0 / rate
    with psycopg.connect(conninfo) as connection:
        started = time.perf_counter()
        for n, envelope in enumerate(envelopes):
            time.sleep(max(0.0, n * interval - (time.perf_counter() - started)))
            now = datetime.now(UTC)
            connection.execute(str(statement), {
                "event_id": envelope.id, "event_type": envelope.type, "clinic_id": envelope.clinicid,
                "body": envelope.model_dump_json(), "state": OutboxState.PENDING, "attempts": 0,
                "available_at": now, "created_at": now,
            })
            connection.execute(str(NOTIFY))
            connection.commit()
        return len(envelopes), time.perf_counter() - started


# The columns `record` sets.
OUTBOX_ROW = ("event_id", "event_type", "clinic_id", "body", "state", "attempts", "available_at", "created_at")


def latencies(catalog_db: str, scheduling_db: str, expected: int, since: datetime,
              timeout: float = 60) -> dict[str, list[float]]:
    """Milliseconds per event: commit -> effect, and its two legs (commit -> broker ack marked,
    published -> consumer's effect)."""
    scheduling = make_engine(scheduling_db)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with scheduling.connect() as c:
            if c.execute(sa.select(sa.func.count()).select_from(inbox)).scalar() >= expected:
                break
        time.sleep(0.5)
    with scheduling.connect() as c:
        applied = dict(c.execute(sa.select(inbox.c.event_id, inbox.c.processed_at)).all())
    with make_engine(catalog_db).connect() as c:
        rows = c.execute(sa.select(outbox.c.event_id, outbox.c.created_at, outbox.c.published_at)
                         .where(outbox.c.created_at >= since)).all()
    missing = {row.event_id for row in rows} - set(applied)
    if missing:
        raise SystemExit(f"{len(missing)} events were not applied within {timeout}s")

    def ms(later, earlier) -> float:
        return (later - earlier).total_seconds() * 1000

    return {
        "commit -> effect": sorted(ms(applied[r.event_id], r.created_at) for r in rows),
        "  commit -> published": sorted(ms(r.published_at, r.created_at) for r in rows),
        "  published -> effect": sorted(ms(applied[r.event_id], r.published_at) for r in rows),
    }


def cpu_per_event(before: dict, after: dict, workers: dict[str, int], events: int) -> dict[str, float]:
    """Milliseconds of CPU per event spent by each part of the pipeline between two snapshots."""
    def part(pid: int, command: str) -> str:
        for name, worker_pid in workers.items():
            if pid == worker_pid:
                return name
        if pid == os.getpid():
            return "load generator (this script)"
        if "postgres" in command:
            return "PostgreSQL"
        if "beam" in command or "rabbitmq" in command:
            return "RabbitMQ"
        return "everything else"

    spent: dict[str, float] = {}
    for pid, _parent, command, used in cpu_used(before, after):
        key = part(pid, command)
        spent[key] = spent.get(key, 0.0) + used
    return {key: seconds / events * 1000 for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1])}


def main() -> None:
    # Like the workers (clinic_runtime.worker.run_worker): a collector pause between stamping an
    # event and committing it would count as latency the platform did not cause.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--relays", type=int, default=1, help="catalog worker processes (relays)")
    parser.add_argument("--consumers", type=int, default=1, help="scheduling worker processes (consumers)")
    args = parser.parse_args()

    topology = Topology(f"bench-{uuid.uuid4().hex[:8]}")
    databases = Databases()
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    workers: list[subprocess.Popen] = []
    try:
        asyncio.run(declare_bench_queue(topology))
        event, clinic_id = an_event(0)
        body = Envelope.wrap(event, clinic_id=clinic_id, correlation_id=str(uuid.uuid4())).model_dump_json().encode()
        raws = {}
        for in_flight in (BATCH, IN_FLIGHT):
            raws[in_flight] = asyncio.run(raw_rate(topology, body, args.events, in_flight))
            asyncio.run(purge_bench_queue(topology))
        raw = max(raws.values())
        relay_db = databases.create("relay")
        from catalog.entrypoints.migrate import MIGRATIONS as CATALOG_MIGRATIONS

        upgrade(CATALOG_MIGRATIONS, relay_db)
        relayed = asyncio.run(relay_rate(topology, relay_db, args.events))
        asyncio.run(purge_bench_queue(topology))
        for in_flight, rate in raws.items():
            print(f"raw aio-pika, confirms, {in_flight:3} in flight: {rate:8.0f} msg/s   "
                  f"({args.events} messages, {len(body)} B)")
        print(f"outbox relay (PostgreSQL -> RabbitMQ):    {relayed:8.0f} ev/s    = {relayed / raw:.0%} of the faster raw")

        from scheduling.entrypoints.migrate import MIGRATIONS as SCHEDULING_MIGRATIONS

        catalog_db, scheduling_db = databases.create("catalog"), databases.create("scheduling")
        upgrade(CATALOG_MIGRATIONS, catalog_db)
        upgrade(SCHEDULING_MIGRATIONS, scheduling_db)
        common = {"AMQP_URL": AMQP, "BROKER_NAMESPACE": topology.namespace, "LOG_LEVEL": "WARNING"}
        relays = [start_worker("catalog", {**common, "DATABASE_URL": catalog_db}, 19801 + n, logs, n)
                  for n in range(args.relays)]
        consumers = [start_worker("scheduling", {**common, "DATABASE_URL": scheduling_db}, 19901 + n, logs, n)
                     for n in range(args.consumers)]
        workers.extend([*relays, *consumers])
        # Warm-up at the same rate (caches, prepared statements, pools), not measured.
        warm, _ = steady_producer(catalog_db, args.rate, WARM_UP_SECONDS)
        measured_from = datetime.now(UTC)
        busy_before, total_before = machine_cpu()
        before = cpu_by_process()
        committed, took = steady_producer(catalog_db, args.rate, args.seconds)
        legs = latencies(catalog_db, scheduling_db, warm + committed, since=measured_from)
        after = cpu_by_process()
        busy_after, total_after = machine_cpu()
        print(f"end-to-end at {args.rate} ev/s offered for {args.seconds:.0f} s ({committed} events, "
              f"achieved {committed / took:.0f} ev/s), {args.relays} relay and {args.consumers} consumer process(es):")
        for leg, values in legs.items():
            print(f"  {leg:<24} p50 {percentile(values, 50):6.1f} ms   p99 {percentile(values, 99):6.1f} ms   "
                  f"max {values[-1]:6.1f} ms   mean {statistics.fmean(values):6.1f} ms")
        print(f"  whole machine ({os.cpu_count()} cores) busy: "
              f"{(busy_after - busy_before) / (total_after - total_before):.0%}; CPU per event by part:")
        parts = {**{f"relay (catalog worker {n + 1})": r.pid for n, r in enumerate(relays)},
                 **{f"consumer (scheduling worker {n + 1})": c.pid for n, c in enumerate(consumers)}}
        for part, ms in cpu_per_event(before, after, parts, committed).items():
            print(f"    {part:<30} {ms:5.2f} ms")
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(20)
        asyncio.run(delete_namespace(topology))
        databases.drop_all()


if __name__ == "__main__":
    main()
