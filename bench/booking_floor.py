"""Benchmark: the least CPU one booking can cost on this machine with this stack and design.

    uv run python bench/booking_floor.py [--rate 200] [--seconds 15]

A booking through the platform (design.md's journey up to the hold) cannot do less than:
  1. two HTTP exchanges through gunicorn (gthread, as deployed) and Flask: the client's to the
     gateway, and the gateway's to scheduling, forwarded over a urllib3 connection pool;
  2. one PostgreSQL transaction at scheduling writing the new guest patient, the appointment
     (under its exclusion constraint), its two events into the outbox and its Idempotency-Key,
     then the relay claiming and settling those two outbox rows and a consumer recording them in
     its inbox;
  3. two events (the patient's, the appointment's) published persistently with publisher
     confirms and consumed with an acknowledgement by another service's worker.
Each part runs here alone and stripped bare: Flask views that only read and answer JSON, the
writes as prepared psycopg statements (no ORM) on scheduling's own tables (a throw-away database
brought to its newest schema), aio-pika with no framework on top. Everything real bookings do
beyond that (authentication, rate limits, validation, the slot check, read models, logs,
metrics, traces) only adds. The database part runs as fast as four lanes go rather than at
--rate, which can only make it cheaper per booking (commits share flushes). The sum of the parts, in CPU milliseconds per booking, is a floor
under bench/bookings.py's figures, and the machine's cores divided by it a ceiling on bookings/s.

Needs PostgreSQL and RabbitMQ (TEST_POSTGRES_URL / TEST_AMQP_URL, defaulting to the local
servers). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import psycopg
from decisions import AMQP, LOGS, Endpoint, migrated_database, post_json, ready, steady_load, stop
from measure import cpu_by_process, cpu_used

from clinic_runtime.devstack import free_ports

HERE = Path(__file__).resolve().parent
RUN = uuid.uuid4().hex[:8]
BOOKING = {
    "service_id": str(uuid.uuid4()), "provider_id": str(uuid.uuid4()), "start": "2026-12-01T09:00:00+00:00",
    "patient": {"name": "Ana Pop", "email": "ana.pop@example.com", "mobile": "+40722123456"},
    "sms_consent": {"given": True, "text_version": "2026-01"},
}
HELD = {
    "booking_id": str(uuid.uuid4()), "status": "pending_payment", "hold_expires_at": "2026-12-01T08:15:00+00:00",
    "start": "2026-12-01T09:00:00+00:00", "end": "2026-12-01T09:30:00+00:00", "timezone": "Europe/Bucharest",
    "price": {"amount_minor": 15000, "currency": "RON"}, "payment": {"required": True},
    "access_token": "x" * 180, "access_token_expires_at": "2026-12-01T09:30:00+00:00",
}


def spent(before: dict, after: dict, pick) -> float:
    """CPU seconds used between two snapshots by the processes `pick(pid, parent, command)` names."""
    return sum(used for pid, parent, command, used in cpu_used(before, after) if pick(pid, parent, command))


# -- 1. two HTTP exchanges --------------------------------------------------------------------


def http_part(stack: ExitStack, rate: float, seconds: float) -> dict[str, float]:
    upstream_port, gateway_port = free_ports(2)

    def serve(app: str, port: int, env: dict[str, str]) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:clinic_runtime.gunicorn_conf", "--chdir", str(HERE),
             "--bind", f"127.0.0.1:{port}", "--workers", "2", f"booking_floor:{app}()"],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stack.callback(stop, process)
        ready(f"http://127.0.0.1:{port}", process, app)
        return process

    upstream = serve("scheduling_app", upstream_port, {})
    gateway = serve("gateway_app", gateway_port, {"FLOOR_UPSTREAM": f"http://127.0.0.1:{upstream_port}"})
    request = post_json("127.0.0.1", gateway_port, "/v1/clinics/floor/bookings", BOOKING,
                        {"Idempotency-Key": "floor"})
    endpoint = Endpoint("127.0.0.1", gateway_port, [request], [201])
    asyncio.run(steady_load(endpoint, rate, 2.0, 0))
    before = cpu_by_process()
    answers, _ = asyncio.run(steady_load(endpoint, rate, seconds, 0))
    after = cpu_by_process()
    done = sum(1 for a in answers if a.status == 201)
    if done != len(answers):
        raise SystemExit(f"the bare HTTP path answered {len(answers) - done} of {len(answers)} requests wrongly")
    ms = 1000 / done
    return {
        "load generator (the client's side)": spent(before, after, lambda pid, *_: pid == os.getpid()) * ms,
        "gateway: gunicorn + Flask + urllib3": spent(before, after, lambda pid, parent, _: gateway.pid in (pid, parent)) * ms,
        "scheduling: gunicorn + Flask": spent(before, after, lambda pid, parent, _: upstream.pid in (pid, parent)) * ms,
    }


def scheduling_app():
    from flask import Flask, jsonify, request

    app = Flask("scheduling")

    @app.get("/readyz")
    def ready_route():
        return {"status": "ready"}

    @app.post("/v1/clinics/<slug>/bookings")
    def book(slug: str):
        body = request.get_json()
        return jsonify({**HELD, "service_id": body["service_id"]}), 201

    return app


def gateway_app():
    import urllib3
    from flask import Flask, Response, request

    app = Flask("gateway")
    upstream = urllib3.connection_from_url(os.environ["FLOOR_UPSTREAM"], maxsize=8, retries=False, timeout=10)

    @app.get("/readyz")
    def ready_route():
        return {"status": "ready"}

    @app.post("/v1/clinics/<slug>/bookings")
    def book(slug: str):
        answer = upstream.urlopen("POST", request.path, body=request.get_data(), headers={
            "Content-Type": "application/json", "Idempotency-Key": request.headers["Idempotency-Key"]})
        return Response(answer.data, answer.status, content_type="application/json")

    return app


# -- 2. the PostgreSQL work -------------------------------------------------------------------

BOOK = [
    ("INSERT INTO patients (clinic_id, patient_id, name, email, email_key, mobile, sms_consent_given, "
     "sms_consent_recorded_at, sms_consent_text_version, version, archived, created_at, updated_at) "
     "VALUES (%(clinic)s, %(patient)s, 'Ana Pop', 'ana.pop@example.com', 'ana.pop@example.com', '+40722123456', "
     "true, %(now)s, '2026-01', 1, false, %(now)s, %(now)s)"),
    ("INSERT INTO appointments (clinic_id, appointment_id, patient_id, provider_id, service_id, start_at, end_at, "
     "buffer_before_minutes, buffer_after_minutes, occupied_from, occupied_until, timezone, status, "
     "price_amount_minor, price_currency, hold_expires_at, booked_by_kind, version, created_at, updated_at) "
     "VALUES (%(clinic)s, %(appointment)s, %(patient)s, %(provider)s, %(service)s, %(start)s, %(end)s, 0, 0, "
     "%(start)s, %(end)s, 'Europe/Bucharest', 'pending_payment', 15000, 'RON', %(expires)s, 'guest', 1, %(now)s, %(now)s)"),
    ("INSERT INTO outbox (event_id, event_type, clinic_id, body, state, attempts, available_at, created_at) "
     "VALUES (%(event1)s, 'scheduling.patient.upserted.v1', %(clinic)s, %(body)s, 'pending', 0, %(now)s, %(now)s), "
     "(%(event2)s, 'scheduling.appointment.held.v1', %(clinic)s, %(body)s, 'pending', 0, %(now)s, %(now)s)"),
    ("INSERT INTO idempotency_keys (scope, key, request_fingerprint, status_code, response_body, response_headers, "
     "created_at) VALUES (%(scope)s, %(key)s, %(fingerprint)s, 201, %(body)s, '{}', %(now)s)"),
    "SELECT pg_notify('outbox', '')",
]
RELAY = [
    ("UPDATE outbox SET state = 'in_flight', lease_expires_at = %(lease)s WHERE position IN "
     "(SELECT position FROM outbox WHERE state = 'pending' AND available_at <= %(now)s ORDER BY position "
     "LIMIT 2 FOR UPDATE SKIP LOCKED) RETURNING position, event_id, event_type, body"),
    "UPDATE outbox SET state = 'published', published_at = %(now)s WHERE position = ANY(%(positions)s)",
]
INBOX = ("INSERT INTO inbox (event_id, consumer, event_type, processed_at) VALUES "
         "(%(event1)s, 'floor', 'scheduling.patient.upserted.v1', %(now)s), "
         "(%(event2)s, 'floor', 'scheduling.appointment.held.v1', %(now)s) ON CONFLICT DO NOTHING")


def database_part(stack: ExitStack, bookings: int, threads: int) -> dict[str, float]:
    url = migrated_database(stack, f"bench_floor_{RUN}_scheduling", "scheduling")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    body = json.dumps(HELD)
    first = datetime(2030, 1, 1, tzinfo=UTC)
    provider, clinic = uuid.uuid4(), uuid.uuid4()

    finished = threading.Barrier(threads + 1)
    measured = threading.Barrier(threads + 1)

    def work(lane: int) -> None:
        with psycopg.connect(dsn, prepare_threshold=0) as book, psycopg.connect(dsn, prepare_threshold=0) as relay, \
                psycopg.connect(dsn, prepare_threshold=0) as consumer:
            for n in range(lane, bookings, threads):
                now = datetime.now(UTC)
                start = first + timedelta(minutes=30 * n)
                values = {"clinic": clinic, "patient": uuid.uuid4(), "appointment": uuid.uuid4(), "provider": provider,
                          "service": uuid.uuid4(), "start": start, "end": start + timedelta(minutes=30),
                          "expires": now + timedelta(minutes=15), "now": now, "event1": uuid.uuid4(),
                          "event2": uuid.uuid4(), "body": body, "scope": "floor", "key": uuid.uuid4().hex,
                          "fingerprint": "f" * 64, "lease": now + timedelta(seconds=30)}
                with book.transaction():
                    for statement in BOOK:
                        book.execute(statement, values)
                with relay.transaction():
                    claimed = relay.execute(RELAY[0], values).fetchall()
                    relay.execute(RELAY[1], {**values, "positions": [row[0] for row in claimed]})
                with consumer.transaction():
                    consumer.execute(INBOX, values)
            # Connections stay open until measured: a closed backend's CPU leaves no trace.
            finished.wait()
            measured.wait()

    before = cpu_by_process()
    lanes = [threading.Thread(target=work, args=(lane,)) for lane in range(threads)]
    for lane in lanes:
        lane.start()
    finished.wait()
    after = cpu_by_process()
    measured.wait()
    for lane in lanes:
        lane.join()
    ms = 1000 / bookings
    ours = f" bench_floor_{RUN}_"
    return {
        "scheduling, relay, consumer: psycopg": spent(before, after, lambda pid, *_: pid == os.getpid()) * ms,
        "PostgreSQL": spent(before, after, lambda pid, parent, command: command.startswith("postgres") and ours in command) * ms,
    }


# -- 3. two events through RabbitMQ -----------------------------------------------------------


def broker_part(stack: ExitStack, events: int, in_flight: int) -> dict[str, float]:
    queue = f"bench_floor_{RUN}"
    consumer = subprocess.Popen([sys.executable, __file__, "consume", queue, str(events)], stdout=subprocess.PIPE)
    stack.callback(stop, consumer)
    assert consumer.stdout is not None
    consumer.stdout.readline()  # "consuming": its queue is declared

    async def publish() -> None:
        connection = await aio_pika.connect(AMQP)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            body = json.dumps(HELD).encode()
            room = asyncio.Semaphore(in_flight)

            async def one() -> None:
                async with room:
                    await channel.default_exchange.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                         content_type="application/json", message_id=str(uuid.uuid4())),
                        routing_key=queue)

            await asyncio.gather(*(one() for _ in range(events)))

    before = cpu_by_process()
    asyncio.run(publish())
    # The consumer says its own CPU once every event is in: it is gone before a snapshot sees it.
    consumed_cpu = float(consumer.stdout.readline())
    consumer.wait(timeout=120)
    after = cpu_by_process()
    ms = 1000 / events * 2
    return {
        "relay: aio-pika publishing with confirms": spent(before, after, lambda pid, *_: pid == os.getpid()) * ms,
        "consumer: aio-pika consuming with acks": consumed_cpu * ms,
        "RabbitMQ": spent(before, after, lambda pid, parent, command: "beam.smp" in command) * ms,
    }


def consume(queue: str, events: int) -> None:
    async def run() -> None:
        connection = await aio_pika.connect(AMQP)
        async with connection:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=64)
            # A quorum queue, as every consumer group's is (clinic_runtime.messaging.topology).
            declared = await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})
            print("consuming", flush=True)
            started = time.process_time()
            seen = 0
            async with declared.iterator() as messages:
                async for message in messages:
                    json.loads(message.body)
                    await message.ack()
                    seen += 1
                    if seen == events:
                        break
            print(time.process_time() - started, flush=True)
            await declared.delete(if_unused=False, if_empty=False)

    asyncio.run(run())


def main() -> None:
    if sys.argv[1:2] == ["consume"]:
        consume(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="bookings/s offered to the bare HTTP path")
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    bookings = int(args.rate * args.seconds)
    LOGS.mkdir(parents=True, exist_ok=True)
    parts: list[tuple[str, dict[str, float]]] = []
    with ExitStack() as stack:
        parts.append((f"two HTTP exchanges, open loop at {args.rate:.0f}/s", http_part(stack, args.rate, args.seconds)))
    with ExitStack() as stack:
        parts.append(("PostgreSQL: the booking's writes, relay, inbox (4 lanes)", database_part(stack, bookings, 4)))
    with ExitStack() as stack:
        parts.append(("two events through RabbitMQ (64 in flight)", broker_part(stack, 2 * bookings, 64)))
    total = 0.0
    print(f"the least CPU a booking can cost ({time.strftime('%H:%M:%S', time.gmtime())} UTC), per booking:")
    for title, figures in parts:
        print(f"  {title}")
        for name, ms in figures.items():
            print(f"    {name:<44} {ms:5.2f} ms")
            total += ms
    cores = os.cpu_count() or 1
    print(f"  floor: {total:.2f} ms of CPU per booking; {cores} cores fully busy could do at most "
          f"{cores * 1000 / total:.0f} bookings/s")


if __name__ == "__main__":
    main()
