"""A poison message is dead-lettered after the delivery limit, does not hold up the messages
behind it, and comes back with the documented command (`clinic-dlq replay`) once its cause is
fixed. A message that can never be an event goes to the dead-letter queue at once. Events
delivered while the consumer's database is unavailable wait for it, and none is dead-lettered.
Events published before any group bound their type wait in the unrouted queue and reach the groups
bound later with `clinic-dlq unrouted replay`."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import aio_pika
import pytest
import sqlalchemy as sa

from clinic_contracts.envelope import Envelope
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.messaging.outbox import ClaimedEvent, emit
from clinic_runtime.messaging.publisher import ConfirmingPublisher
from clinic_runtime.messaging.topology import Topology

pytestmark = pytest.mark.integration

DLQ = shutil.which("clinic-dlq", path=str(Path(sys.executable).parent)) or "clinic-dlq"


def clinic_dlq(env: dict[str, str], *arguments: str) -> tuple[list[dict], str]:
    """`clinic-dlq <arguments>`: the lines printed, and the summary on stderr."""
    result = subprocess.run([DLQ, *arguments], env={**os.environ, **env},
                            capture_output=True, text=True, check=True, timeout=60)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()], result.stderr


def dlq(command: str, env: dict[str, str], *extra: str) -> list[dict]:
    return clinic_dlq(env, command, "--group", "test-consumer", *extra)[0]


def unrouted(command: str, env: dict[str, str], *extra: str) -> tuple[list[dict], str]:
    return clinic_dlq(env, "unrouted", command, *extra)


def emit_clinics(env, clinic_event, slugs: list[str]) -> None:
    sessions = make_session_factory(make_engine(env.producer_db))
    with transaction(sessions) as session:
        for slug in slugs:
            event, clinic_id = clinic_event(slug)
            emit(session, event, clinic_id=clinic_id)


def test_poison_message_is_dead_lettered_without_blocking_and_replays_once_fixed(
    crash_env, clinic_event, amqp_url, broker_namespace, applied_slugs, wait_until
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


def test_a_message_that_is_not_an_event_is_dead_lettered_at_once(crash_env, amqp_url, broker_namespace, applied_slugs, wait_until):
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
    crash_env, clinic_event, amqp_url, broker_namespace, postgres_admin_url, applied_slugs, connections_refused, held_deliveries, wait_until
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
    crash_env, clinic_event, amqp_url, broker_namespace, postgres_admin_url, applied_slugs, connections_refused, held_deliveries, wait_until
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


CLINIC_UPSERTED = "catalog.clinic.upserted.v1"


def publish_as_the_relay(amqp_url: str, namespace: str, clinic_event, slugs: list[str]) -> list[str]:
    """Publish one event per slug the way the relay does, on a namespace with no group yet."""
    envelopes = [Envelope.wrap(event, clinic_id=clinic_id, correlation_id=f"corr-{event.slug}")
                 for event, clinic_id in map(clinic_event, slugs)]

    async def publish() -> None:
        topology = Topology(namespace)
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            await topology.declare_exchanges(await connection.channel())
        publisher = ConfirmingPublisher(amqp_url, topology.events_exchange)
        await publisher.start()
        try:
            for position, envelope in enumerate(envelopes):
                await publisher.publish(ClaimedEvent(position, envelope.id, envelope.type,
                                                     envelope.model_dump_json(), 0))
        finally:
            await publisher.stop()

    asyncio.run(publish())
    return [str(envelope.id) for envelope in envelopes]


def declare_consumer_group(amqp_url: str, namespace: str) -> None:
    """What the consumer's worker does when it first starts."""
    async def declare() -> None:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            await Topology(namespace).declare_group(await connection.channel(), "test-consumer",
                                                    [CLINIC_UPSERTED], delivery_limit=5)

    asyncio.run(declare())


def drain(amqp_url: str, queue_name: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Take everything waiting in the queue."""
    async def take() -> list[aio_pika.abc.AbstractIncomingMessage]:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            queue = await (await connection.channel()).get_queue(queue_name)
            messages = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                messages.append(message)
            return messages

    return asyncio.run(take())


def test_events_published_before_the_consumer_started_reach_it_with_unrouted_replay(
    crash_env, clinic_event, amqp_url, broker_namespace, applied_slugs, wait_until
):
    env = crash_env(DELIVERY_LIMIT="5")
    env.start("relay")
    emit_clinics(env, clinic_event, ["early-0", "early-1"])
    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    wait_until(lambda: len(unrouted("list", cli_env)[0]) == 2, what="the early events in the unrouted queue")
    listed, summary = unrouted("list", cli_env)
    assert {e["event_type"] for e in listed} == {CLINIC_UPSERTED}
    assert all(0 <= e["age_seconds"] < 60 for e in listed)
    assert "2 of 2" in summary

    env.start("consumer")
    emit_clinics(env, clinic_event, ["late-0"])
    wait_until(lambda: applied_slugs(env.consumer_db) == ["late-0"], what="the event after the consumer started")
    assert len(unrouted("list", cli_env)[0]) == 2, "the consumer's start alone brings nothing back"

    replayed, summary = unrouted("replay", cli_env)
    assert sorted(r["event_id"] for r in replayed) == sorted(e["event_id"] for e in listed)
    assert all(r["routed"] for r in replayed)
    assert "still unrouted" not in summary
    wait_until(lambda: len(applied_slugs(env.consumer_db)) == 3, what="the replayed events")
    time.sleep(1)
    assert sorted(applied_slugs(env.consumer_db)) == ["early-0", "early-1", "late-0"]
    assert unrouted("list", cli_env)[0] == []


def test_an_unrouted_replay_resends_the_event_as_the_relay_published_it(clinic_event, amqp_url, broker_namespace):
    [event_id] = publish_as_the_relay(amqp_url, broker_namespace, clinic_event, ["replayed"])
    declare_consumer_group(amqp_url, broker_namespace)
    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    assert [r["event_id"] for r in unrouted("replay", cli_env)[0]] == [event_id]

    [message] = drain(amqp_url, Topology(broker_namespace).group_queue("test-consumer"))
    assert (message.message_id, message.correlation_id, message.type, message.routing_key) == (
        event_id, event_id, CLINIC_UPSERTED, CLINIC_UPSERTED)
    assert message.content_type == "application/cloudevents+json"
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert json.loads(message.body)["correlationid"] == "corr-replayed"
    assert drain(amqp_url, Topology(broker_namespace).unrouted_queue) == []


def test_replaying_an_event_no_group_binds_yet_keeps_it_unrouted_and_says_so(
    clinic_event, amqp_url, broker_namespace
):
    [event_id] = publish_as_the_relay(amqp_url, broker_namespace, clinic_event, ["nobody-yet"])
    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    replayed, summary = unrouted("replay", cli_env)
    assert [(r["event_id"], r["routed"]) for r in replayed] == [(event_id, False)]
    assert "1 still unrouted" in summary
    assert [e["event_id"] for e in unrouted("list", cli_env)[0]] == [event_id]

    declare_consumer_group(amqp_url, broker_namespace)
    assert [(r["event_id"], r["routed"]) for r in unrouted("replay", cli_env)[0]] == [(event_id, True)]
    assert [m.message_id for m in drain(amqp_url, Topology(broker_namespace).group_queue("test-consumer"))] == [
        event_id]


def test_unrouted_replay_with_an_event_id_resends_only_that_event(clinic_event, amqp_url, broker_namespace):
    first, second, third = publish_as_the_relay(amqp_url, broker_namespace, clinic_event, ["a", "b", "c"])
    declare_consumer_group(amqp_url, broker_namespace)
    cli_env = {"AMQP_URL": amqp_url, "BROKER_NAMESPACE": broker_namespace}
    assert [r["event_id"] for r in unrouted("replay", cli_env, "--event-id", second)[0]] == [second]

    assert [m.message_id for m in drain(amqp_url, Topology(broker_namespace).group_queue("test-consumer"))] == [
        second]
    assert sorted(e["event_id"] for e in unrouted("list", cli_env)[0]) == sorted([first, third])
