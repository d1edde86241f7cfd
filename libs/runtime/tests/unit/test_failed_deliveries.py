"""A delivery whose handling fails goes back to the queue with basic.reject, never basic.nack: from
RabbitMQ 4.3 only a reject counts towards the quorum queue's delivery limit, so a nacked failure
would come back forever instead of reaching the dead-letter queue."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

from faststream.rabbit import RabbitBroker, TestRabbitBroker
from faststream.rabbit.message import RabbitMessage

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.messaging import consumers
from clinic_runtime.messaging.consumers import EventHandlers, subscribe
from clinic_runtime.messaging.topology import Topology

TOPOLOGY = Topology("test")


def an_event() -> bytes:
    clinic_id = uuid.uuid4()
    event = ClinicUpsertedV1(clinic_id=clinic_id, slug="ada", name="Ada", timezone="Europe/Bucharest",
                             currency="RON", locale="ro-RO", version=1, updated_at=datetime.now(UTC))
    return Envelope.wrap(event, clinic_id=clinic_id, correlation_id="c").model_dump_json().encode()


def test_a_failed_delivery_is_rejected_back_to_the_queue_not_nacked(monkeypatch, caplog):
    answers: list[tuple[str, bool]] = []

    async def reject(self, requeue: bool = False) -> None:
        answers.append(("reject", requeue))

    async def nack(self, multiple: bool = False, requeue: bool = True) -> None:
        answers.append(("nack", requeue))

    async def failing_submit(self, envelope, payload) -> bool:
        raise RuntimeError("the handler failed")

    monkeypatch.setattr(RabbitMessage, "reject", reject)
    monkeypatch.setattr(RabbitMessage, "nack", nack)
    monkeypatch.setattr(consumers.BatchingApplier, "submit", failing_submit)

    async def deliver() -> None:
        broker = RabbitBroker(apply_types=False)
        handlers = EventHandlers("test-consumer")
        handlers.on(ClinicUpsertedV1)(lambda session, payload, envelope: None)
        subscribe(broker, handlers, None, TOPOLOGY, service="test", prefetch=1, lanes=1)
        async with TestRabbitBroker(broker) as test_broker:
            await test_broker.publish(an_event(), queue=TOPOLOGY.group_queue("test-consumer"))

    with caplog.at_level(logging.ERROR, logger="clinic_runtime.messaging.consumers"):
        asyncio.run(deliver())

    assert answers == [("reject", True)]
    assert any("failed to apply catalog.clinic.upserted.v1" in r.getMessage() for r in caplog.records)
