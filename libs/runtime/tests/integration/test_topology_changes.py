"""A deployment whose queues were declared with other arguments (a changed DELIVERY_LIMIT, or an
earlier version of the topology) keeps working: RabbitMQ never changes a queue's arguments, so the
worker uses the queue as it is and logs how to apply the change. Dead letters and unrouted events
survive any number of `clinic-dlq` lists: their queues have a delivery limit no listing reaches
(RabbitMQ 4.0 to 4.2 count every listing as a failed delivery and would otherwise drop them after
20)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal

import aio_pika
import pytest

from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.messaging.dead_letters import list_dead_letters, list_unrouted
from clinic_runtime.messaging.outbox import emit
from clinic_runtime.messaging.topology import LISTING_DELIVERY_LIMIT, UNROUTED_TTL_MS, Topology

pytestmark = pytest.mark.integration

GROUP = "test-consumer"
CLINIC_UPSERTED = "catalog.clinic.upserted.v1"
PROVIDER_UPSERTED = "catalog.provider.upserted.v1"
WARNINGS = "clinic_runtime.messaging.topology"


def emit_clinic(env, clinic_event, slug: str) -> None:
    with transaction(make_session_factory(make_engine(env.producer_db))) as session:
        event, clinic_id = clinic_event(slug)
        emit(session, event, clinic_id=clinic_id)


async def declare_group(amqp_url: str, namespace: str, event_types: list[str], delivery_limit: int) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        await Topology(namespace).declare_group(await connection.channel(), GROUP, event_types,
                                                delivery_limit=delivery_limit)


async def declared_with(amqp_url: str, queue: str, arguments: dict[str, object]) -> bool:
    """Whether the queue carries these arguments: RabbitMQ accepts a declaration only if they are
    the queue's own."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        try:
            await (await connection.channel()).declare_queue(queue, durable=True, arguments=arguments)
        except aio_pika.exceptions.ChannelPreconditionFailed:
            return False
        return True


async def publish(amqp_url: str, exchange: str, routing_key: str, message_id: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        target = await channel.get_exchange(exchange)
        await target.publish(aio_pika.Message(b"{}", message_id=message_id, type=routing_key,
                                              delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                             routing_key=routing_key)


async def depth(amqp_url: str, queue: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        declared = await (await connection.channel()).declare_queue(queue, passive=True)
        return declared.declaration_result.message_count


def test_a_worker_restarted_with_another_delivery_limit_starts_and_consumes(crash_env, clinic_event, applied_slugs, wait_until):
    env = crash_env(DELIVERY_LIMIT="5")
    env.start("relay", "consumer")
    emit_clinic(env, clinic_event, "before")
    wait_until(lambda: applied_slugs(env.consumer_db) == ["before"], what="the event before the change")

    env.supervisor.kill("consumer", signal.SIGTERM)
    consumer = env.specs["consumer"]
    env.specs["consumer"] = dataclasses.replace(consumer, env={**consumer.env, "DELIVERY_LIMIT": "10"})
    env.start("consumer")
    emit_clinic(env, clinic_event, "after")
    wait_until(lambda: sorted(applied_slugs(env.consumer_db)) == ["after", "before"],
               what="the event after the change")
    log = env.supervisor.log_path("consumer").read_text()
    assert "DELIVERY_LIMIT=10 applies to the queue only when it is declared anew" in log
    assert "rabbitmqctl set_policy" in log


def test_declaring_a_group_again_with_another_limit_keeps_its_queue_binds_new_types_and_says_how(
    amqp_url, broker_namespace, caplog
):
    topology = Topology(broker_namespace)
    asyncio.run(declare_group(amqp_url, broker_namespace, [CLINIC_UPSERTED], delivery_limit=5))
    with caplog.at_level(logging.WARNING, logger=WARNINGS):
        asyncio.run(declare_group(amqp_url, broker_namespace, [CLINIC_UPSERTED, PROVIDER_UPSERTED],
                                  delivery_limit=10))

    [warning] = [r.getMessage() for r in caplog.records if r.name == WARNINGS]
    queue = topology.group_queue(GROUP)
    assert warning.startswith(f"{queue} keeps the arguments it was declared with")
    assert "x-delivery-limit" in warning and "DELIVERY_LIMIT=10" in warning
    assert "'{\"delivery-limit\": 10}'" in warning
    asyncio.run(publish(amqp_url, topology.events_exchange, PROVIDER_UPSERTED, "new-type"))
    assert asyncio.run(depth(amqp_url, queue)) == 1, "the type added in the new version is bound"


def test_the_dead_letter_and_unrouted_queues_have_a_delivery_limit_no_listing_reaches(amqp_url, broker_namespace):
    topology = Topology(broker_namespace)
    asyncio.run(declare_group(amqp_url, broker_namespace, [CLINIC_UPSERTED], delivery_limit=5))

    assert asyncio.run(declared_with(amqp_url, topology.dead_letter_queue(GROUP), {
        "x-queue-type": "quorum", "x-delivery-limit": LISTING_DELIVERY_LIMIT}))
    assert asyncio.run(declared_with(amqp_url, topology.unrouted_queue, {
        "x-queue-type": "quorum", "x-message-ttl": UNROUTED_TTL_MS, "x-delivery-limit": LISTING_DELIVERY_LIMIT}))


def test_dead_letters_and_unrouted_events_outlast_more_lists_than_rabbitmq_4s_default_limit(
    amqp_url, broker_namespace
):
    topology = Topology(broker_namespace)
    asyncio.run(declare_group(amqp_url, broker_namespace, [CLINIC_UPSERTED], delivery_limit=5))
    asyncio.run(publish(amqp_url, topology.dead_letter_exchange, GROUP, "dead-letter"))
    asyncio.run(publish(amqp_url, topology.events_exchange, "nobody.binds.this.v1", "unrouted"))

    for _ in range(25):
        assert [letter.event_id for letter in asyncio.run(list_dead_letters(amqp_url, topology, GROUP, 50))] == [
            "dead-letter"]
        events, waiting = asyncio.run(list_unrouted(amqp_url, topology, 50))
        assert ([event.event_id for event in events], waiting) == (["unrouted"], 1)


def test_queues_declared_by_an_earlier_version_are_used_as_they_are_with_the_policy_to_apply(
    amqp_url, broker_namespace, caplog
):
    topology = Topology(broker_namespace)

    async def declare_as_before() -> None:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.declare_queue(topology.unrouted_queue, durable=True, arguments={
                "x-queue-type": "quorum", "x-message-ttl": UNROUTED_TTL_MS})
            await channel.declare_queue(topology.dead_letter_queue(GROUP), durable=True,
                                        arguments={"x-queue-type": "quorum"})

    asyncio.run(declare_as_before())
    with caplog.at_level(logging.WARNING, logger=WARNINGS):
        asyncio.run(declare_group(amqp_url, broker_namespace, [CLINIC_UPSERTED], delivery_limit=5))

    warnings = [r.getMessage() for r in caplog.records if r.name == WARNINGS]
    assert [w.split(" ")[0] for w in warnings] == [topology.unrouted_queue, topology.dead_letter_queue(GROUP)]
    assert all(f"'{{\"delivery-limit\": {LISTING_DELIVERY_LIMIT}}}'" in w for w in warnings)
    asyncio.run(publish(amqp_url, topology.dead_letter_exchange, GROUP, "dead-letter"))
    assert [letter.event_id for letter in asyncio.run(list_dead_letters(amqp_url, topology, GROUP, 50))] == [
        "dead-letter"]
