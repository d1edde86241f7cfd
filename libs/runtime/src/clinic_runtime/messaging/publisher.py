"""Publishes claimed outbox rows through FastStream's broker on a confirm channel."""

from __future__ import annotations

from faststream.rabbit import RabbitBroker, RabbitExchange
from pamqp.commands import Basic

from clinic_runtime.messaging.outbox import ClaimedEvent

CLOUDEVENTS_JSON = "application/cloudevents+json"


class PublishNotConfirmed(Exception):
    """The broker answered the publish with something other than an ack."""


class BrokerPublisher:
    def __init__(self, broker: RabbitBroker, exchange: str, *, confirm_timeout: float = 10.0) -> None:
        self._broker = broker
        self._exchange = RabbitExchange(exchange, declare=False)
        self._timeout = confirm_timeout

    async def publish(self, event: ClaimedEvent) -> None:
        confirmation = await self._broker.publish(
            event.body.encode(),
            exchange=self._exchange,
            routing_key=event.event_type,
            persist=True,
            mandatory=True,
            timeout=self._timeout,
            message_id=str(event.event_id),
            content_type=CLOUDEVENTS_JSON,
            message_type=event.event_type,
        )
        if not isinstance(confirmation, Basic.Ack):
            raise PublishNotConfirmed(f"broker answered {confirmation!r}")
