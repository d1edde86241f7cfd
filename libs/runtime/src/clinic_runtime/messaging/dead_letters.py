"""`clinic-dlq`: list and replay a consumer group's dead letters, and the events no group took.

    clinic-dlq list   --group scheduling [--limit 50]
    clinic-dlq replay --group scheduling [--limit 50] [--event-id ID ...]
    clinic-dlq unrouted list   [--limit 50]
    clinic-dlq unrouted replay [--limit 50] [--event-id ID ...]

AMQP_URL and BROKER_NAMESPACE come from the environment, as for the services. `list` looks without
taking anything (messages are returned to the queue). `replay` sends each selected dead letter back
to the group's own queue only (other groups already handled the event), with a fresh delivery
count, and removes it from the dead-letter queue only after the broker confirmed the resend.

`unrouted` does the same for <ns>.unrouted, where the alternate exchange keeps (for a week) the
events published while no group bound their type: `replay` publishes them to the events exchange
again, so that every group bound by now receives them, and says which came straight back.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue

from clinic_runtime.messaging.topology import Topology

# Headers the broker adds on delivery and dead-lettering; a replay starts clean.
BROKER_HEADERS = {"x-death", "x-delivery-count", "x-first-death-exchange", "x-first-death-queue",
                  "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason"}


@dataclass(frozen=True)
class DeadLetter:
    event_id: str | None
    event_type: str | None
    reason: str | None
    deaths: int

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> DeadLetter:
        headers = message.headers or {}
        deaths = headers.get("x-death") or []
        first = deaths[0] if deaths else {}
        return cls(
            event_id=message.message_id,
            event_type=message.type,
            reason=_text(headers.get("x-first-death-reason") or first.get("reason")),
            deaths=int(sum(int(d.get("count", 1)) for d in deaths)) if deaths else 0,
        )


@dataclass(frozen=True)
class UnroutedEvent:
    event_id: str | None
    event_type: str | None
    # Since the envelope's `time`; None for a body that is not an envelope.
    age_seconds: int | None

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> UnroutedEvent:
        return cls(event_id=message.message_id, event_type=message.type, age_seconds=_age_seconds(message.body))


def _age_seconds(body: bytes) -> int | None:
    try:
        occurred = datetime.fromisoformat(json.loads(body)["time"])
        return int((datetime.now(UTC) - occurred).total_seconds())
    except (ValueError, TypeError, KeyError):
        return None


def _text(value: object) -> str | None:
    return value.decode() if isinstance(value, bytes) else (str(value) if value is not None else None)


async def _take(
    queue: AbstractQueue, limit: int, wanted: Callable[[AbstractIncomingMessage], bool]
) -> tuple[list[AbstractIncomingMessage], list[AbstractIncomingMessage]]:
    """Up to `limit` unacknowledged messages `wanted` accepts, and those it passed over (which the
    caller must put back)."""
    taken: list[AbstractIncomingMessage] = []
    passed_over: list[AbstractIncomingMessage] = []
    while len(taken) < limit and (message := await queue.get(no_ack=False, fail=False)) is not None:
        (taken if wanted(message) else passed_over).append(message)
    return taken, passed_over


async def _put_back(messages: list[AbstractIncomingMessage]) -> None:
    # A nack, which RabbitMQ 4.3 and later do not count as a failed delivery; earlier versions do,
    # hence the limit no listing reaches on the queues listed here (topology.py).
    for message in messages:
        await message.nack(requeue=True)


async def _peek(amqp_url: str, queue_name: str, limit: int) -> tuple[list[AbstractIncomingMessage], int]:
    """Up to `limit` messages of the queue, each put back, and how many wait in all."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name, ensure=True)
        taken, _ = await _take(queue, limit, lambda _message: True)
        await _put_back(taken)
        return taken, queue.declaration_result.message_count


async def list_dead_letters(amqp_url: str, topology: Topology, group: str, limit: int) -> list[DeadLetter]:
    taken, _ = await _peek(amqp_url, topology.dead_letter_queue(group), limit)
    return [DeadLetter.of(message) for message in taken]


async def replay_dead_letters(
    amqp_url: str, topology: Topology, group: str, limit: int, event_ids: set[str] | None = None
) -> list[DeadLetter]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        queue = await channel.get_queue(topology.dead_letter_queue(group), ensure=True)
        taken, passed_over = await _take(
            queue, limit, lambda message: event_ids is None or message.message_id in event_ids
        )
        for message in taken:
            await channel.default_exchange.publish(
                _resend(message), routing_key=topology.group_queue(group), mandatory=True
            )
            await message.ack()
        await _put_back(passed_over)
        return [DeadLetter.of(message) for message in taken]


def _resend(message: AbstractIncomingMessage) -> aio_pika.Message:
    """The message as its publisher sent it (see publisher.py), without what the broker added."""
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        headers={k: v for k, v in (message.headers or {}).items() if k not in BROKER_HEADERS},
    )


async def list_unrouted(amqp_url: str, topology: Topology, limit: int) -> tuple[list[UnroutedEvent], int]:
    """Up to `limit` unrouted events, and how many wait in all."""
    taken, waiting = await _peek(amqp_url, topology.unrouted_queue, limit)
    return [UnroutedEvent.of(message) for message in taken], waiting


async def replay_unrouted(
    amqp_url: str, topology: Topology, limit: int, event_ids: set[str] | None = None
) -> list[tuple[UnroutedEvent, bool]]:
    """Publish the selected unrouted events to the events exchange again, each with the routing key
    it came with (the relay's is the event type); return each with whether a group's queue took
    it. One that no group binds yet comes straight back to the unrouted queue (with a fresh week);
    all are taken before the first resend, so a run never meets its own resends."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        queue = await channel.get_queue(topology.unrouted_queue, ensure=True)
        events = await channel.get_exchange(topology.events_exchange, ensure=True)
        # A copy of whatever the alternate exchange takes meanwhile tells which resends found no
        # group; the queue is this connection's alone and goes with it.
        came_back = await channel.declare_queue(exclusive=True)
        await came_back.bind(topology.unrouted_exchange)
        taken, passed_over = await _take(
            queue, limit, lambda message: event_ids is None or message.message_id in event_ids
        )
        for message in taken:
            await events.publish(_resend(message), routing_key=message.routing_key, mandatory=True)
            await message.ack()
        await _put_back(passed_over)
        # Every resend was confirmed, so every copy is in `came_back` by now.
        unrouted_bodies = set()
        while (copy := await came_back.get(no_ack=True, fail=False)) is not None:
            unrouted_bodies.add(copy.body)
        return [(UnroutedEvent.of(message), message.body not in unrouted_bodies) for message in taken]


def _selection(parser: argparse.ArgumentParser, *, replay: bool) -> None:
    parser.add_argument("--limit", type=int, default=50)
    if replay:
        parser.add_argument("--event-id", action="append", dest="event_ids", help="replay only these (repeatable)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinic-dlq", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("list", "replay"):
        group_command = commands.add_parser(command, help=f"{command} a consumer group's dead letters")
        group_command.add_argument("--group", required=True, help="consumer group, e.g. scheduling")
        # `list` has always accepted (and ignored) --event-id.
        _selection(group_command, replay=True)
    unrouted = commands.add_parser("unrouted", help="the events no group's queue took").add_subparsers(
        dest="unrouted_command", required=True)
    _selection(unrouted.add_parser("list", help="look, without taking anything"), replay=False)
    _selection(unrouted.add_parser("replay", help="publish to the events exchange again"), replay=True)
    args = parser.parse_args(argv)
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/")
    topology = Topology(os.environ.get("BROKER_NAMESPACE", "clinic"))
    event_ids = set(args.event_ids) if getattr(args, "event_ids", None) else None
    if args.command == "unrouted":
        return _unrouted(args.unrouted_command, amqp_url, topology, args.limit, event_ids)
    if args.command == "list":
        letters = asyncio.run(list_dead_letters(amqp_url, topology, args.group, args.limit))
    else:
        letters = asyncio.run(replay_dead_letters(amqp_url, topology, args.group, args.limit, event_ids))
    for letter in letters:
        print(json.dumps(letter.__dict__))
    print(f"{len(letters)} dead letter(s) {'listed' if args.command == 'list' else 'replayed'} "
          f"for {topology.dead_letter_queue(args.group)}", file=sys.stderr)
    return 0


def _unrouted(command: str, amqp_url: str, topology: Topology, limit: int, event_ids: set[str] | None) -> int:
    if command == "list":
        events, waiting = asyncio.run(list_unrouted(amqp_url, topology, limit))
        for event in events:
            print(json.dumps(event.__dict__))
        print(f"{len(events)} of {waiting} event(s) listed in {topology.unrouted_queue}", file=sys.stderr)
        return 0
    replayed = asyncio.run(replay_unrouted(amqp_url, topology, limit, event_ids))
    for event, routed in replayed:
        print(json.dumps({**event.__dict__, "routed": routed}))
    still = sum(not routed for _event, routed in replayed)
    print(f"{len(replayed)} event(s) replayed from {topology.unrouted_queue}"
          + (f"; {still} still unrouted (no group binds their type yet), back in {topology.unrouted_queue}"
             if still else ""), file=sys.stderr)
    return 0
