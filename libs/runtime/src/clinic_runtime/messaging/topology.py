"""The broker topology, declared the same way by every worker and by the dead-letter tool.

    <ns>.events               topic exchange; routing key = versioned event type
      └─ alternate exchange → <ns>.events.unrouted (fanout) → queue <ns>.unrouted
    <ns>.<group>              one quorum queue per consumer group, bound to the types it handles;
                              after `delivery_limit` deliveries a message is dead-lettered
    <ns>.dead-letters         direct exchange; routing key = group
      └─ <ns>.<group>.dead-letters   quorum queue an operator lists and replays (clinic-dlq)

The alternate exchange is why the relay can publish with `mandatory`: an event nobody consumes
yet is kept (for a week) instead of being returned, while a missing exchange or a broken binding
still fails loudly and the outbox row is retried.
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue, ExchangeType

UNROUTED_TTL_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Topology:
    namespace: str

    @property
    def events_exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def unrouted_exchange(self) -> str:
        return f"{self.namespace}.events.unrouted"

    @property
    def unrouted_queue(self) -> str:
        return f"{self.namespace}.unrouted"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.namespace}.dead-letters"

    def group_queue(self, group: str) -> str:
        return f"{self.namespace}.{group}"

    def dead_letter_queue(self, group: str) -> str:
        return f"{self.namespace}.{group}.dead-letters"

    async def declare_exchanges(self, channel: AbstractChannel) -> AbstractExchange:
        unrouted = await channel.declare_exchange(self.unrouted_exchange, ExchangeType.FANOUT, durable=True)
        unrouted_queue = await channel.declare_queue(
            self.unrouted_queue,
            durable=True,
            arguments={"x-queue-type": "quorum", "x-message-ttl": UNROUTED_TTL_MS},
        )
        await unrouted_queue.bind(unrouted)
        await channel.declare_exchange(self.dead_letter_exchange, ExchangeType.DIRECT, durable=True)
        return await channel.declare_exchange(
            self.events_exchange,
            ExchangeType.TOPIC,
            durable=True,
            arguments={"alternate-exchange": self.unrouted_exchange},
        )

    async def declare_group(
        self, channel: AbstractChannel, group: str, event_types: list[str], *, delivery_limit: int
    ) -> AbstractQueue:
        events = await self.declare_exchanges(channel)
        dead_letters = await channel.declare_queue(
            self.dead_letter_queue(group), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dead_letters.bind(self.dead_letter_exchange, routing_key=group)
        queue = await channel.declare_queue(
            self.group_queue(group),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange,
                "x-dead-letter-routing-key": group,
                # Dead-lettering waits for the dead-letter queue's confirm, so nothing is lost
                # on the way; it requires reject-publish overflow.
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )
        for event_type in event_types:
            await queue.bind(events, routing_key=event_type)
        return queue


    async def delete(self, channel: AbstractChannel, groups: list[str]) -> None:
        """Remove the namespace: the given groups' queues and dead-letter queues, the unrouted
        queue and the exchanges. Deleting what does not exist is fine (RabbitMQ answers ok)."""
        for group in groups:
            await channel.queue_delete(self.group_queue(group))
            await channel.queue_delete(self.dead_letter_queue(group))
        await channel.queue_delete(self.unrouted_queue)
        for exchange in (self.events_exchange, self.unrouted_exchange, self.dead_letter_exchange):
            await channel.exchange_delete(exchange)


async def connect(amqp_url: str) -> aio_pika.abc.AbstractRobustConnection:
    return await aio_pika.connect_robust(amqp_url, timeout=10)
