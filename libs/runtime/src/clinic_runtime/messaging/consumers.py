"""What a consumer group does with each event type, applied exactly once through the inbox.

A handler is a plain function `(session, payload, envelope) -> None` that changes this service's
own tables (and may `emit` events of its own); it runs inside the same transaction that records
the event in the inbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aio_pika
from faststream.exceptions import RejectMessage, SkipMessage
from faststream.middlewares import AckPolicy
from faststream.rabbit import RabbitBroker, RabbitQueue
from faststream.rabbit.message import RabbitMessage
from faststream.rabbit.schemas import Channel
from pamqp.commands import Basic
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from clinic_contracts import Envelope, Event
from clinic_runtime import context, tracing
from clinic_runtime.db import transaction, transient_database_error
from clinic_runtime.messaging.inbox import first_deliveries
from clinic_runtime.messaging.topology import Topology

log = logging.getLogger(__name__)

CONSUMED = Counter(
    "clinic_events_consumed_total",
    "Events taken from the broker, by outcome (applied, duplicate, rejected).",
    ["service", "event_type", "outcome"],
)
HELD = Counter(
    "clinic_events_held_for_database_total",
    "Deliveries held (not failed) while the consumer's database was unavailable.",
    ["service"],
)

# A held delivery is tried again after 0.2 s, 0.4 s, 0.8 s ... at most 10 s apart, for at most
# 15 minutes: RabbitMQ closes a channel that keeps a delivery unacknowledged past its
# consumer_timeout (30 minutes by default).
FIRST_PAUSE_SECONDS = 0.2
LONGEST_PAUSE_SECONDS = 10.0
HOLD_LIMIT_SECONDS = 15 * 60
# FastStream flags a stopping subscriber but offers nothing to await: a pause looks this often.
STOP_CHECK_SECONDS = 0.25
# A stopping worker gives each held delivery back as a copy; it waits this long for the broker to
# confirm one, within FastStream's 15 s graceful timeout.
GIVE_BACK_CONFIRM_SECONDS = 5.0
# A type this group's queue carries but this replica does not handle was bound by a newer replica
# (a rolling deploy that adds a handler): it goes back after this pause, for another replica.
UNHANDLED_TYPE_PAUSE_SECONDS = 1.0

E = TypeVar("E", bound=Event)
Handler = Callable[[Session, E, Envelope], None]


class EventHandlers:
    """The handlers of one consumer group (its queue is `<namespace>.<group>`)."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._handlers: dict[str, tuple[type[Event], Handler]] = {}

    def on(self, *models: type[E]) -> Callable[[Handler[E]], Handler[E]]:
        """Register the handler of these event types (several when they share one, e.g. a
        snapshot's upserted and archived events)."""
        def register(handler: Handler[E]) -> Handler[E]:
            for model in models:
                if model.event_type in self._handlers:
                    raise ValueError(f"{self.group} already handles {model.event_type}")
                self._handlers[model.event_type] = (model, handler)
            return handler

        return register

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    def payload(self, envelope: Envelope) -> Event:
        """The envelope's payload as its contract's model; `ValidationError` when it breaks it."""
        model, _ = self._handlers[envelope.type]
        return envelope.payload(model)

    def handle(self, session: Session, envelope: Envelope, payload: Event) -> None:
        """Run the event's handler inside `session`'s transaction, in the event's context."""
        _, handler = self._handlers[envelope.type]
        context.reset()
        context.set_correlation_id(envelope.correlationid)
        context.bind_log_fields(event_id=str(envelope.id), event_type=envelope.type)
        if envelope.clinicid:
            context.bind_log_fields(clinic_id=str(envelope.clinicid))
        with tracing.continued_span(f"{envelope.type} process", envelope.traceparent,
                                    **{"messaging.message.id": str(envelope.id)}):
            handler(session, payload, envelope)


Delivery = tuple[Envelope, Event]


def apply_batch(handlers: EventHandlers, sessions: sessionmaker[Session], batch: list[Delivery]) -> list[bool | Exception]:
    """Apply a batch in one transaction: one commit for many events, each still recorded in the
    inbox with its effects. If the batch fails, each event is tried alone, so one that cannot be
    applied fails by itself and the others still commit."""
    try:
        with transaction(sessions) as session:
            new = first_deliveries(session, [envelope for envelope, _ in batch], handlers.group)
            outcomes: list[bool | Exception] = []
            for envelope, payload in batch:
                # The same event twice in one batch (a redelivery racing its original) applies once.
                first_time = envelope.id in new
                new.discard(envelope.id)
                if first_time:
                    handlers.handle(session, envelope, payload)
                outcomes.append(first_time)
            return outcomes
    except Exception as error:
        # While the database is unavailable each event alone would fail the same way.
        if len(batch) == 1 or transient_database_error(error):
            return [error] * len(batch)
    return [outcome for delivery in batch for outcome in apply_batch(handlers, sessions, [delivery])]


def apply_delivered(handlers: EventHandlers, sessions: sessionmaker[Session], envelope: Envelope) -> bool:
    """Apply one delivered event in its own transaction, as the consumer does."""
    [outcome] = apply_batch(handlers, sessions, [(envelope, handlers.payload(envelope))])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


class BatchingApplier:
    """Gathers deliveries while earlier batches are in the database, then applies them as the
    next batch: one event alone when traffic is light, many under load. `lanes` batches run side
    by side on their own connections, so database round trips overlap. A delivery is acknowledged
    only after its batch committed."""

    def __init__(self, handlers: EventHandlers, sessions: sessionmaker[Session], *, lanes: int,
                 linger: float = 0.0) -> None:
        self._handlers = handlers
        self._sessions = sessions
        self._lanes = lanes
        self._linger = linger
        self._busy_lanes = 0
        self._waiting: asyncio.Queue[tuple[Delivery, asyncio.Future[bool]]] = asyncio.Queue()
        self._lane_tasks: list[asyncio.Task] = []

    async def submit(self, envelope: Envelope, payload: Event) -> bool:
        if not self._lane_tasks or any(task.done() for task in self._lane_tasks):
            for task in self._lane_tasks:
                task.cancel()
            self._lane_tasks = [
                asyncio.create_task(self._apply_forever(), name=f"{self._handlers.group}-applier-{lane}")
                for lane in range(self._lanes)
            ]
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._waiting.put(((envelope, payload), outcome))
        return await outcome

    async def _apply_forever(self) -> None:
        while True:
            pending = [await self._waiting.get()]
            if self._busy_lanes and self._linger:
                # Another lane is in the database, so events are coming fast: gather a few more
                # rather than spend a transaction on this one alone. A lone event goes at once.
                await asyncio.sleep(self._linger)
            while not self._waiting.empty():
                pending.append(self._waiting.get_nowait())
            self._busy_lanes += 1
            try:
                outcomes = await asyncio.to_thread(apply_batch, self._handlers, self._sessions,
                                                   [delivery for delivery, _ in pending])
            except BaseException as error:
                # Cancelled at shutdown: these deliveries are not acknowledged, so they come again;
                # if the batch still commits in its thread, the inbox skips the redelivery.
                for _, future in pending:
                    if not future.done():
                        future.set_exception(error if isinstance(error, Exception) else RuntimeError("stopped"))
                raise
            finally:
                self._busy_lanes -= 1
            for (_, future), result in zip(pending, outcomes):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)


class DatabaseHold:
    """Holds a delivery while its database is unavailable (`transient_database_error`) instead of
    failing it: that is no fault of the event, and failing it would spend its deliveries within
    milliseconds and dead-letter it. The delivery stays unacknowledged meanwhile, so no more than
    the prefetch arrive. Past `limit` it fails after all (rejected: one delivery spent, and it comes
    again); if the consumer stops, it ends with `SkipMessage` (see `GivingBack`)."""

    def __init__(self, group: str, service: str, running: Callable[[], bool], *,
                 limit: float = HOLD_LIMIT_SECONDS) -> None:
        self._group = group
        self._service = service
        self._running = running
        self._limit = limit
        self._held = 0
        self._held_since = 0.0

    async def apply(self, attempt: Callable[[], Awaitable[bool]]) -> bool:
        started = time.monotonic()
        pause = FIRST_PAUSE_SECONDS
        held = False
        try:
            while True:
                try:
                    return await attempt()
                except Exception as error:
                    if not transient_database_error(error):
                        raise
                    if time.monotonic() + pause > started + self._limit:
                        log.warning("%s gives a delivery back to the queue after holding it %.0f s", self._group,
                                    time.monotonic() - started)
                        raise
                    if not held:
                        held = True
                        self._hold(error)
                await pause_while(self._running, pause)
                if not self._running():
                    raise SkipMessage()
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
        finally:
            if held:
                self._release()

    def _hold(self, error: Exception) -> None:
        HELD.labels(self._service).inc()
        self._held += 1
        if self._held == 1:
            self._held_since = time.monotonic()
            log.warning("%s holds its deliveries until its database answers: %s", self._group,
                        getattr(error, "orig", error))

    def _release(self) -> None:
        self._held -= 1
        if self._held == 0:
            log.warning("%s holds no more deliveries, after %.1f s", self._group,
                        time.monotonic() - self._held_since)


async def pause_while(running: Callable[[], bool], seconds: float) -> None:
    """Sleep `seconds`, or less if the consumer stops meanwhile."""
    until = time.monotonic() + seconds
    while running() and (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(left, STOP_CHECK_SECONDS))


class GivingBack:
    """Gives a stopping worker's held deliveries back to the group's queue as fresh copies. Left
    unacknowledged, each would come back when the channel closes, and RabbitMQ would count that as
    a delivery: stops during one database outage (a rollout, a node drain) would dead-letter good
    events. The copy (same body, message id and headers, persistent, confirmed) starts with no
    deliveries spent; the original is acknowledged only after it. A crash between the two leaves
    a duplicate, which the inbox drops: it keys on the envelope's id, in the body."""

    def __init__(self, group: str, queue: str) -> None:
        self._group = group
        self._queue = queue
        self._cancelled: asyncio.Future | None = None

    async def give_back(self, message: RabbitMessage) -> bool:
        """Whether the delivery went back as a copy; if not, it is left unacknowledged."""
        delivery = message.raw_message
        try:
            channel = delivery.channel
            if self._cancelled is None:
                # Consuming stops first: the broker would hand the copy straight back to this
                # consumer, which no longer takes deliveries, and count its return on close.
                self._cancelled = asyncio.ensure_future(channel.basic_cancel(delivery.consumer_tag))
            await asyncio.shield(self._cancelled)
            headers = {k: v for k, v in (delivery.headers or {}).items() if k != "x-delivery-count"}
            copy = aio_pika.Message(delivery.body, headers=headers, content_type=delivery.content_type,
                                    content_encoding=delivery.content_encoding,
                                    correlation_id=delivery.correlation_id, message_id=delivery.message_id,
                                    type=delivery.type, timestamp=delivery.timestamp, app_id=delivery.app_id,
                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            confirmation = await channel.basic_publish(copy.body, routing_key=self._queue,
                                                       properties=copy.properties,
                                                       timeout=GIVE_BACK_CONFIRM_SECONDS)
            if not isinstance(confirmation, Basic.Ack):
                raise RuntimeError(f"broker answered {confirmation!r}")
            await message.ack()
        except Exception as error:
            log.warning("%s leaves a held delivery unacknowledged at stop, spending one delivery: %s",
                        self._group, error)
            return False
        return True


def subscribe(
    broker: RabbitBroker,
    handlers: EventHandlers,
    sessions: sessionmaker[Session],
    topology: Topology,
    *,
    service: str,
    prefetch: int,
    lanes: int,
    linger: float = 0.0,
) -> None:
    """Consume the group's queue (declared beforehand by `Topology.declare_group`).

    A handler that raises is rejected back to the queue and redelivered; the quorum queue's
    delivery limit then moves it to the dead-letter queue. A message that can never succeed (not an
    envelope, a payload that breaks the contract) is rejected straight to it. A type this replica
    does not handle goes back after a pause, for a newer replica that does; after the delivery
    limit it is dead-lettered too. While the database is unavailable, a delivery is held instead
    (`DatabaseHold`), and given back as a copy if the worker stops (`GivingBack`).
    """
    queue = RabbitQueue(topology.group_queue(handlers.group), declare=False)
    subscriber = broker.subscriber(queue, channel=Channel(prefetch_count=prefetch),
                                   ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw_body)
    applier = BatchingApplier(handlers, sessions, lanes=lanes, linger=linger)
    hold = DatabaseHold(handlers.group, service, lambda: subscriber.running)
    giving_back = GivingBack(handlers.group, queue.name)
    unhandled_types: set[str] = set()

    @subscriber
    async def consume(body: bytes) -> None:
        try:
            envelope = Envelope.model_validate_json(body)
        except ValidationError as error:
            CONSUMED.labels(service, "unknown", "rejected").inc()
            log.error("rejected a message that is not an event envelope: %s", _what_broke(error))
            raise RejectMessage() from error
        if envelope.type not in handlers.event_types:
            CONSUMED.labels(service, envelope.type, "rejected").inc()
            if envelope.type not in unhandled_types:
                unhandled_types.add(envelope.type)
                log.warning("%s does not handle %s here: it goes back to the queue for a replica that "
                            "does, until the delivery limit dead-letters it", handlers.group, envelope.type)
            await pause_while(lambda: subscriber.running, UNHANDLED_TYPE_PAUSE_SECONDS)
            raise RejectMessage(requeue=True)
        try:
            payload = handlers.payload(envelope)
        except ValidationError as error:
            CONSUMED.labels(service, envelope.type, "rejected").inc()
            log.error("rejected %s %s: payload breaks its contract: %s", envelope.type, envelope.id,
                      _what_broke(error))
            raise RejectMessage() from error
        try:
            applied = await hold.apply(lambda: applier.submit(envelope, payload))
        except SkipMessage:
            if await giving_back.give_back(broker.context.get_local("message")):
                return
            raise
        except Exception as error:
            log.exception("%s failed to apply %s %s: it comes again, until the delivery limit", handlers.group,
                          envelope.type, envelope.id)
            # A reject, not a nack: from RabbitMQ 4.3 only a reject counts towards the delivery
            # limit, so a nacked handler failure would come back forever instead of dead-lettering.
            raise RejectMessage(requeue=True) from error
        CONSUMED.labels(service, envelope.type, "applied" if applied else "duplicate").inc()


def _what_broke(error: ValidationError) -> list:
    """The first few errors, where and why only: their input would put the payload (patients'
    names among it) in the logs."""
    return error.errors(include_input=False, include_url=False)[:3]


async def _raw_body(message) -> bytes:
    # The envelope is parsed here, whatever content type a sender declared.
    return message.body
