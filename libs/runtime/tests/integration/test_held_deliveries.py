"""Deliveries a replica holds or cannot handle are given back without being spent for nothing.
A worker stopped while it holds an event for its unavailable database gives it back as a fresh
copy, so any number of stops during one outage dead-letters nothing. In a rolling deploy that adds
a handler, an older replica gives the new type back for the newer replicas, which apply it; a type
no replica handles still ends in the dead-letter queue after the delivery limit."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import aio_pika
import pytest

from clinic_contracts.events.catalog import ClinicUpsertedV1, ProviderUpsertedV1
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.devstack import free_ports
from clinic_runtime.messaging.consumers import GivingBack
from clinic_runtime.messaging.outbox import emit
from clinic_runtime.messaging.topology import Topology

pytestmark = pytest.mark.integration

DLQ = shutil.which("clinic-dlq", path=str(Path(sys.executable).parent)) or "clinic-dlq"
GROUP = "test-consumer"
PROVIDER_UPSERTED = ProviderUpsertedV1.event_type


def dead_letters(amqp_url: str, namespace: str) -> list[dict]:
    result = subprocess.run([DLQ, "list", "--group", GROUP], capture_output=True, text=True, check=True,
                            timeout=60, env={**os.environ, "AMQP_URL": amqp_url, "BROKER_NAMESPACE": namespace})
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def spent_deliveries(amqp_url: str, queue: str) -> int:
    """The waiting message's delivery count (looking spends one more: it goes back unacknowledged)."""
    async def peek() -> int:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            message = await (await (await connection.channel()).get_queue(queue)).get(no_ack=False)
            return message.headers.get("x-delivery-count", 0)

    return asyncio.run(peek())


def emit_events(env, events: list[tuple[ClinicUpsertedV1 | ProviderUpsertedV1, uuid.UUID]]) -> None:
    with transaction(make_session_factory(make_engine(env.producer_db))) as session:
        for event, clinic_id in events:
            emit(session, event, clinic_id=clinic_id)


def provider_event(name: str) -> tuple[ProviderUpsertedV1, uuid.UUID]:
    clinic_id = uuid.uuid4()
    return ProviderUpsertedV1(clinic_id=clinic_id, provider_id=uuid.uuid4(), name=name, email=f"{name}@example.org",
                              mobile=None, timezone="Europe/Bucharest", location_ids=[], version=1,
                              archived=False, updated_at=datetime.now(UTC)), clinic_id


def add_newer_consumer(env) -> None:
    """A replica of the group's next version, which also handles provider.upserted, next to the
    current one (a rolling deploy)."""
    current = env.specs["consumer"]
    [port] = free_ports(1)
    env.specs["newer-consumer"] = dataclasses.replace(
        current, name="newer-consumer",
        env={**current.env, "WORKER_PORT": str(port), "CONSUMER_HANDLES_PROVIDERS": "1"},
        ready_url=f"http://127.0.0.1:{port}/readyz")


def test_a_worker_stopped_again_and_again_while_it_holds_an_event_for_its_database_loses_no_delivery(
    crash_env, clinic_event, amqp_url, broker_namespace, postgres_admin_url, applied_slugs, connections_refused, held_deliveries, wait_until
):
    env = crash_env(DELIVERY_LIMIT="2")
    env.start("consumer", "relay")
    with connections_refused(postgres_admin_url, env.consumer_db):
        emit_events(env, [clinic_event("held-through-stops")])
        for stop in range(3):  # more stops than the delivery limit: a rollout, a node drain, another
            if stop:
                env.supervisor.restart("consumer")
            wait_until(lambda: held_deliveries(env) >= 1, what="the event held by the running worker")
            env.supervisor.kill("consumer", signal.SIGTERM)
        assert dead_letters(amqp_url, broker_namespace) == []
        assert spent_deliveries(amqp_url, Topology(broker_namespace).group_queue(GROUP)) == 0
        env.supervisor.restart("consumer")
        wait_until(lambda: held_deliveries(env) >= 1, what="the event held after the last stop")

    wait_until(lambda: applied_slugs(env.consumer_db) == ["held-through-stops"], what="the event once the database is back")
    time.sleep(1)
    assert applied_slugs(env.consumer_db) == ["held-through-stops"], "applied once"
    assert dead_letters(amqp_url, broker_namespace) == []


def test_a_held_delivery_that_cannot_be_given_back_is_left_to_come_again(amqp_url, broker_namespace, caplog):
    topology = Topology(broker_namespace)
    queue = topology.group_queue(GROUP)
    acknowledged = []

    async def acknowledge() -> None:
        acknowledged.append(True)

    async def stop_with_the_channel_already_closed() -> tuple[bool, aio_pika.abc.AbstractIncomingMessage]:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await topology.declare_group(channel, GROUP, [ClinicUpsertedV1.event_type], delivery_limit=5)
            await channel.default_exchange.publish(aio_pika.Message(b"{}", message_id="held"), routing_key=queue)
            consuming = await connection.channel()
            delivery = await (await consuming.get_queue(queue)).get(no_ack=False)
            await consuming.close()
            given_back = await GivingBack(GROUP, queue).give_back(
                SimpleNamespace(raw_message=delivery, ack=acknowledge))
            return given_back, await (await channel.get_queue(queue)).get(no_ack=True)

    with caplog.at_level(logging.WARNING, logger="clinic_runtime.messaging.consumers"):
        given_back, waiting = asyncio.run(stop_with_the_channel_already_closed())
    assert (given_back, acknowledged) == (False, [])
    assert (waiting.message_id, waiting.headers["x-delivery-count"]) == ("held", 1), "back once, one delivery spent"
    assert any("leaves a held delivery unacknowledged" in r.getMessage() for r in caplog.records)


def test_in_a_rolling_deploy_that_adds_a_handler_the_older_replica_leaves_the_new_type_to_the_newer(
    crash_env, amqp_url, broker_namespace, applied_slugs, wait_until
):
    env = crash_env(DELIVERY_LIMIT="5")
    add_newer_consumer(env)
    env.start("consumer")
    env.start("newer-consumer", "relay")
    names = [f"provider-{n}" for n in range(20)]
    emit_events(env, [provider_event(name) for name in names])

    wait_until(lambda: len(applied_slugs(env.consumer_db)) >= 20, timeout=60, what="the providers applied")
    time.sleep(2)
    assert sorted(applied_slugs(env.consumer_db)) == sorted(names)
    assert dead_letters(amqp_url, broker_namespace) == []
    log = env.supervisor.log_path("consumer").read_text()
    assert log.count(f"does not handle {PROVIDER_UPSERTED} here") == 1, "one warning per type, not per message"


def test_a_type_no_replica_handles_is_dead_lettered_after_the_delivery_limit(
    crash_env, amqp_url, broker_namespace, applied_slugs, wait_until
):
    env = crash_env(DELIVERY_LIMIT="2")
    env.start("consumer", "relay")

    async def bind_as_a_newer_replica_did() -> None:
        # A newer replica bound the type to the group's queue, then the fleet was rolled back.
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            await Topology(broker_namespace).declare_group(
                await connection.channel(), GROUP, [ClinicUpsertedV1.event_type, PROVIDER_UPSERTED],
                delivery_limit=2)

    asyncio.run(bind_as_a_newer_replica_did())
    emit_events(env, [provider_event("nobody-applies-me")])

    wait_until(lambda: len(dead_letters(amqp_url, broker_namespace)) == 1, what="the event in the dead-letter queue")
    [letter] = dead_letters(amqp_url, broker_namespace)
    assert letter["event_type"] == PROVIDER_UPSERTED
    assert letter["reason"] == "delivery_limit"
    assert applied_slugs(env.consumer_db) == []
