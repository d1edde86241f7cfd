"""A poison message is dead-lettered after the delivery limit, does not hold up the messages
behind it, and comes back with the documented command (`clinic-dlq replay`) once its cause is
fixed. A message that can never be an event goes to the dead-letter queue at once. Events
delivered while the consumer's database is unavailable wait for it, and none is dead-lettered."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aio_pika
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.messaging.outbox import emit
from clinic_runtime.messaging.topology import Topology

pytestmark = pytest.mark.integration

DLQ = shutil.which("clinic-dlq", path=str(Path(sys.executable).parent)) or "clinic-dlq"


def dlq(command: str, env: dict[str, str], *extra: str) -> list[dict]:
    result = subprocess.run([DLQ, command, "--group", "test-consumer", *extra], env={**os.environ, **env},
                            capture_output=True, text=True, check=True, timeout=60)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def wait_until(condition, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def applied_slugs(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with engine.connect() as c:
        slugs = [row[0] for row in c.execute(sa.text("SELECT slug FROM applied_events"))]
    engine.dispose()
    return slugs


@contextmanager
def connections_refused(admin_url: str, database_url: str) -> Iterator[None]:
    """The database refuses new connections and drops those it has, as in a restart or failover."""
    name = sa.make_url(database_url).database
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                  {"name": name})
    try:
        yield
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


def emit_clinics(env, clinic_event, slugs: list[str]) -> None:
    sessions = make_session_factory(make_engine(env.producer_db))
    with transaction(sessions) as session:
        for slug in slugs:
            event, clinic_id = clinic_event(slug)
            emit(session, event, clinic_id=clinic_id)


def held_deliveries(env) -> float:
    port = env.specs["consumer"].env["WORKER_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        families = text_string_to_metric_families(response.read().decode())
    return sum(sample.value for family in families for sample in family.samples
               if sample.name == "clinic_events_held_for_database_total")


def test_poison_message_is_dead_lettered_without_blocking_and_replays_once_fixed(
    crash_env, clinic_event, amqp_url, broker_namespace
):
    env = crash_env(DELIVERY_LIMIT="3", CONSUMER_PREFETCH="1")
    env.start("consumer", "relay")
    sessions = make_session_factory(make_engine(env.producer_db))
    with transaction(sessions) as session:
        poison, clinic_id = clinic_event("poison-pill")
        poison_id = emit(session, poison, clinic_id=clinic_id).id
        for n in range(20):
            event, clinic_id = clinic_event(f"healthy-{n}")
            emit(session, event, clinic_id=clinic_id)

    # Even with one message in flight at a time, the healthy ones get through.
    wait_until(lambda: len(applied_slugs(env.consumer_db)) == 20, what="healthy events")
    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    wait_until(lambda: len(dlq("list", cli_env)) == 1, what="the poison message in the dead-letter queue")
    [letter] = dlq("list", cli_env)
    assert letter["event_id"] == str(poison_id)
    assert letter["event_type"] == "catalog.clinic.upserted.v1"
    assert letter["reason"] == "delivery_limit"
    assert "poison-pill" not in applied_slugs(env.consumer_db)

    engine = make_engine(env.consumer_db)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO cured_slugs (slug) VALUES ('poison-pill')"))
    engine.dispose()
    replayed = dlq("replay", cli_env)
    assert [r["event_id"] for r in replayed] == [str(poison_id)]
    wait_until(lambda: "poison-pill" in applied_slugs(env.consumer_db), what="the replayed event")
    assert dlq("list", cli_env) == []
    assert len(applied_slugs(env.consumer_db)) == 21


def test_a_message_that_is_not_an_event_is_dead_lettered_at_once(crash_env, amqp_url, broker_namespace):
    env = crash_env(DELIVERY_LIMIT="5")
    env.start("consumer")

    async def publish_garbage() -> None:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(Topology(broker_namespace).events_exchange)
            await exchange.publish(aio_pika.Message(b"not json", message_id="garbage-1",
                                                    type="catalog.clinic.upserted.v1"),
                                   routing_key="catalog.clinic.upserted.v1")

    asyncio.run(publish_garbage())
    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    wait_until(lambda: len(dlq("list", cli_env)) == 1, what="the garbage in the dead-letter queue")
    [letter] = dlq("list", cli_env)
    assert letter["event_id"] == "garbage-1"
    assert letter["reason"] == "rejected"
    assert letter["deaths"] == 1
    assert applied_slugs(env.consumer_db) == []


def test_events_delivered_while_the_database_refuses_connections_wait_for_it_and_none_is_dead_lettered(
    crash_env, clinic_event, amqp_url, broker_namespace, postgres_admin_url
):
    env = crash_env(DELIVERY_LIMIT="5")
    env.start("consumer", "relay")
    emit_clinics(env, clinic_event, [f"before-{n}" for n in range(5)])
    wait_until(lambda: len(applied_slugs(env.consumer_db)) == 5, what="the events before the outage")

    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    with connections_refused(postgres_admin_url, env.consumer_db):
        # A handler's own failure during the outage is still one (it fails once the database is back).
        emit_clinics(env, clinic_event, [*(f"during-{n}" for n in range(20)), "poison-during"])
        time.sleep(3)
        assert dlq("list", cli_env) == [], "nothing is dead-lettered while the database is away"
        assert held_deliveries(env) > 0

    wait_until(lambda: len(applied_slugs(env.consumer_db)) == 25, what="the events held during the outage")
    wait_until(lambda: len(dlq("list", cli_env)) == 1, what="the poison message in the dead-letter queue")
    [letter] = dlq("list", cli_env)
    assert letter["reason"] == "delivery_limit"
    slugs = applied_slugs(env.consumer_db)
    assert sorted(slugs) == sorted([*(f"before-{n}" for n in range(5)), *(f"during-{n}" for n in range(20))])


def test_a_consumer_stopped_while_it_waits_for_its_database_stops_promptly_and_loses_nothing(
    crash_env, clinic_event, amqp_url, broker_namespace, postgres_admin_url
):
    env = crash_env(DELIVERY_LIMIT="5")
    env.start("consumer", "relay")
    with connections_refused(postgres_admin_url, env.consumer_db):
        emit_clinics(env, clinic_event, [f"held-{n}" for n in range(10)])
        wait_until(lambda: held_deliveries(env) >= 10, what="the deliveries held")
        started = time.monotonic()
        env.supervisor.kill("consumer", signal.SIGTERM)
        # Well within FastStream's 15 s graceful timeout, which a held delivery would otherwise use up.
        assert time.monotonic() - started < 5

    env.supervisor.restart("consumer")
    env.supervisor.wait_ready(60)
    wait_until(lambda: len(applied_slugs(env.consumer_db)) == 10, what="the held events, after the restart")
    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    assert dlq("list", cli_env) == []
    assert sorted(applied_slugs(env.consumer_db)) == sorted(f"held-{n}" for n in range(10))
