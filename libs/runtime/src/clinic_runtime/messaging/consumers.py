"""What a consumer group does with each event type, applied exactly once through the inbox.

A handler is a plain function `(session, payload, envelope) -> None` that changes this service's
own tables (and may `emit` events of its own); it runs inside the same transaction that records
the event in the inbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from faststream.exceptions import RejectMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.schemas import Channel
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from clinic_contracts import Envelope, Event
from clinic_runtime import context, tracing
from clinic_runtime.db import transaction
from clinic_runtime.messaging.inbox import first_delivery
from clinic_runtime.messaging.topology import Topology

log = logging.getLogger(__name__)

CONSUMED = Counter(
    "clinic_events_consumed_total",
    "Events taken from the broker, by outcome (applied, duplicate, rejected).",
    ["service", "event_type", "outcome"],
)

E = TypeVar("E", bound=Event)
Handler = Callable[[Session, E, Envelope], None]


class EventHandlers:
    """The handlers of one consumer group (its queue is `<namespace>.<group>`)."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._handlers: dict[str, tuple[type[Event], Handler]] = {}

    def on(self, model: type[E]) -> Callable[[Handler[E]], Handler[E]]:
        def register(handler: Handler[E]) -> Handler[E]:
            if model.event_type in self._handlers:
                raise ValueError(f"{self.group} already handles {model.event_type}")
            self._handlers[model.event_type] = (model, handler)
            return handler

        return register

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    def apply(self, sessions: sessionmaker[Session], envelope: Envelope) -> bool:
        """Apply one event in its own transaction; False when it had been applied before.

        Raises `ValidationError` when the payload does not fit the contract (a poison message).
        """
        model, handler = self._handlers[envelope.type]
        payload = envelope.payload(model)
        with transaction(sessions) as session:
            if not first_delivery(session, envelope.id, envelope.type, self.group):
                return False
            handler(session, payload, envelope)
        return True


def subscribe(
    broker: RabbitBroker,
    handlers: EventHandlers,
    sessions: sessionmaker[Session],
    topology: Topology,
    *,
    service: str,
    prefetch: int,
) -> None:
    """Consume the group's queue (declared beforehand by `Topology.declare_group`).

    A handler that raises is nacked and redelivered; the quorum queue's delivery limit then moves
    it to the dead-letter queue. A message that can never succeed (not an envelope, a type this
    group does not handle, a payload that breaks the contract) is rejected straight to it.
    """
    queue = RabbitQueue(topology.group_queue(handlers.group), declare=False)

    @broker.subscriber(queue, channel=Channel(prefetch_count=prefetch), ack_policy=AckPolicy.NACK_ON_ERROR)
    async def consume(body: bytes, message: RabbitMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError as error:
            CONSUMED.labels(service, "unknown", "rejected").inc()
            log.error("rejected a message that is not an event envelope: %s", error.errors()[:3])
            raise RejectMessage() from error
        if envelope.type not in handlers.event_types:
            CONSUMED.labels(service, envelope.type, "rejected").inc()
            log.error("rejected %s: %s does not handle it", envelope.type, handlers.group)
            raise RejectMessage()
        try:
            applied = await asyncio.to_thread(apply_delivered, handlers, sessions, envelope)
        except ValidationError as error:
            CONSUMED.labels(service, envelope.type, "rejected").inc()
            log.error("rejected %s %s: payload breaks its contract: %s", envelope.type, envelope.id, error.errors()[:3])
            raise RejectMessage() from error
        CONSUMED.labels(service, envelope.type, "applied" if applied else "duplicate").inc()


def apply_delivered(handlers: EventHandlers, sessions: sessionmaker[Session], envelope: Envelope) -> bool:
    """Apply a delivered event as the consumer does: with its correlation id in the logs and a
    span that continues the producer's trace."""
    context.reset()
    context.set_correlation_id(envelope.correlationid)
    context.bind_log_fields(event_id=str(envelope.id), event_type=envelope.type)
    if envelope.clinicid:
        context.bind_log_fields(clinic_id=str(envelope.clinicid))
    with tracing.continued_span(f"{envelope.type} process", envelope.traceparent, **{"messaging.message.id": str(envelope.id)}):
        return handlers.apply(sessions, envelope)
