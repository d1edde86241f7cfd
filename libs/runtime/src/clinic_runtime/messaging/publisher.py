"""Publishes claimed outbox rows: persistent, mandatory messages on a publisher-confirm channel.

The relay has its own robust aio-pika connection (FastStream's broker serves the consumers):
publishing straight on the channel costs a third less CPU per event than going through
FastStream's publish path, and the relay is the platform's hot path.
"""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustConnection
from pamqp.commands import Basic

from clinic_runtime.messaging.outbox import ClaimedEvent

CLOUDEVENTS_JSON = "application/cloudevents+json"


class PublishNotConfirmed(Exception):
    """The broker answered the publish with something other than an ack."""


class ConfirmingPublisher:
    def __init__(self, amqp_url: str, exchange: str, *, confirm_timeout: float = 10.0) -> None:
        self._url = amqp_url
        self._exchange_name = exchange
        self._timeout = confirm_timeout
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._url, timeout=10)
        # on_return_raises: a mandatory message no queue (nor the alternate exchange) took fails.
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await channel.get_exchange(self._exchange_name, ensure=False)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed and self._connection.connected.is_set()

    async def publish(self, event: ClaimedEvent) -> None:
        if self._exchange is None:
            raise PublishNotConfirmed("the publisher is not started")
        confirmation = await self._exchange.publish(
            aio_pika.Message(
                event.body.encode(),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(event.event_id),
                # Consumers' clients would otherwise draw a random correlation id per message.
                correlation_id=str(event.event_id),
                content_type=CLOUDEVENTS_JSON,
                type=event.event_type,
            ),
            routing_key=event.event_type,
            mandatory=True,
            timeout=self._timeout,
        )
        if not isinstance(confirmation, Basic.Ack):
            raise PublishNotConfirmed(f"broker answered {confirmation!r}")
