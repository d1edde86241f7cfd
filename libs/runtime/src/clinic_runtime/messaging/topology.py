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

RabbitMQ never changes the arguments of a queue that exists, and refuses a declaration whose
arguments differ. A queue declared before a setting (or this module) changed is therefore used as
it is, with a warning that says how to apply the change, rather than stopping the worker.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue, ExchangeType
from aiormq.exceptions import ChannelPreconditionFailed

log = logging.getLogger(__name__)

UNROUTED_TTL_MS = 7 * 24 * 3600 * 1000
# `clinic-dlq list` puts back every message it looked at, which RabbitMQ before 4.3 counts as a
# failed delivery; RabbitMQ 4 drops a message after 20 of those from a quorum queue that has no
# limit of its own. The dead-letter and unrouted queues get one no operator ever reaches.
LISTING_DELIVERY_LIMIT = 2**31 - 1


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
        unrouted_queue = await _declare_queue(
            channel,
            self.unrouted_queue,
            {"x-queue-type": "quorum", "x-message-ttl": UNROUTED_TTL_MS, "x-delivery-limit": LISTING_DELIVERY_LIMIT},
            advice=_LISTING_ADVICE,
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
        dead_letters = await _declare_queue(
            channel,
            self.dead_letter_queue(group),
            {"x-queue-type": "quorum", "x-delivery-limit": LISTING_DELIVERY_LIMIT},
            advice=_LISTING_ADVICE,
        )
        await dead_letters.bind(self.dead_letter_exchange, routing_key=group)
        queue = await _declare_queue(
            channel,
            self.group_queue(group),
            {
                "x-queue-type": "quorum",
                "x-delivery-limit": delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange,
                "x-dead-letter-routing-key": group,
                # Dead-lettering waits for the dead-letter queue's confirm, so nothing is lost
                # on the way; it requires reject-publish overflow.
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
            advice=f"DELIVERY_LIMIT={delivery_limit} applies to the queue only when it is declared anew (README, "
            "Changing DELIVERY_LIMIT); a limit lower than the queue's applies at once with a policy (RabbitMQ "
            "takes the lower of the two)",
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


# What a warning about a listed queue that has no such limit yet says.
_LISTING_ADVICE = ("Unless a policy gives it a delivery limit, RabbitMQ 4.0 to 4.2 drop its messages after 20 "
                   "`clinic-dlq` lists; this one does")


async def _declare_queue(
    channel: AbstractChannel, name: str, arguments: dict[str, object], *, advice: str
) -> AbstractQueue:
    """The durable queue `name` as declared with `arguments`, or as it is when it exists with
    other ones: then a warning gives `advice` and the policy that applies `arguments`' delivery
    limit (the one argument a setting changes)."""
    try:
        return await channel.declare_queue(name, durable=True, arguments=arguments)
    except ChannelPreconditionFailed as error:
        # Refusing the declaration, the broker closed the channel.
        await channel.reopen()
        log.warning(
            "%s keeps the arguments it was declared with (%s). %s: rabbitmqctl set_policy --apply-to queues "
            "%s-delivery-limit '^%s$' '{\"delivery-limit\": %d}' (a queue follows one policy only: merge "
            "this into any that already matches it)",
            name, error, advice, name, re.escape(name), arguments["x-delivery-limit"],
        )
        return await channel.declare_queue(name, passive=True)


async def connect(amqp_url: str) -> aio_pika.abc.AbstractRobustConnection:
    return await aio_pika.connect_robust(amqp_url, timeout=10)
