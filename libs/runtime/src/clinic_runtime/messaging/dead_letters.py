"""`clinic-dlq`: list and replay a consumer group's dead letters.

    clinic-dlq list   --group scheduling [--limit 50]
    clinic-dlq replay --group scheduling [--limit 50] [--event-id ID ...]

AMQP_URL and BROKER_NAMESPACE come from the environment, as for the services. `list` looks without
taking anything (messages are returned to the queue). `replay` sends each selected dead letter back
to the group's own queue only (other groups already handled the event), with a fresh delivery
count, and removes it from the dead-letter queue only after the broker confirmed the resend.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

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
    for message in messages:
        await message.nack(requeue=True)


async def list_dead_letters(amqp_url: str, topology: Topology, group: str, limit: int) -> list[DeadLetter]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(topology.dead_letter_queue(group), ensure=True)
        taken, _ = await _take(queue, limit, lambda _message: True)
        await _put_back(taken)
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
                aio_pika.Message(
                    message.body,
                    message_id=message.message_id,
                    type=message.type,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers={k: v for k, v in (message.headers or {}).items() if k not in BROKER_HEADERS},
                ),
                routing_key=topology.group_queue(group),
                mandatory=True,
            )
            await message.ack()
        await _put_back(passed_over)
        return [DeadLetter.of(message) for message in taken]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinic-dlq", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--group", required=True, help="consumer group, e.g. scheduling")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--event-id", action="append", dest="event_ids", help="replay only these (repeatable)")
    args = parser.parse_args(argv)
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@localhost:5672/")
    topology = Topology(os.environ.get("BROKER_NAMESPACE", "clinic"))
    if args.command == "list":
        letters = asyncio.run(list_dead_letters(amqp_url, topology, args.group, args.limit))
    else:
        letters = asyncio.run(replay_dead_letters(
            amqp_url, topology, args.group, args.limit, set(args.event_ids) if args.event_ids else None))
    for letter in letters:
        print(json.dumps(letter.__dict__))
    print(f"{len(letters)} dead letter(s) {'listed' if args.command == 'list' else 'replayed'} "
          f"for {topology.dead_letter_queue(args.group)}", file=sys.stderr)
    return 0
