"""A poison message is dead-lettered after the delivery limit, does not hold up the messages
behind it, and comes back with the documented command (`clinic-dlq replay`) once its cause is
fixed. A message that can never be an event goes to the dead-letter queue at once."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aio_pika
import pytest
import sqlalchemy as sa

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
