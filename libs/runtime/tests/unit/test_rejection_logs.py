"""A message rejected for breaking its contract is logged by where and why it broke it, never with
what it carried: an event's payload holds patients' names."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime

import pytest
from faststream.rabbit import RabbitBroker, TestRabbitBroker

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.messaging.consumers import EventHandlers, subscribe
from clinic_runtime.messaging.topology import Topology

NAME = "Ada Lovelace-Byron"
TOPOLOGY = Topology("test")


def an_envelope_whose_payload_breaks_its_contract() -> bytes:
    clinic_id = uuid.uuid4()
    event = ClinicUpsertedV1(clinic_id=clinic_id, slug="ada", name=NAME, timezone="Europe/Bucharest",
                             currency="RON", locale="ro-RO", version=1, updated_at=datetime.now(UTC))
    envelope = json.loads(Envelope.wrap(event, clinic_id=clinic_id, correlation_id="c").model_dump_json())
    del envelope["data"]["slug"]
    return json.dumps(envelope).encode()


async def consume(body: bytes) -> None:
    broker = RabbitBroker(apply_types=False)
    handlers = EventHandlers("test-consumer")
    handlers.on(ClinicUpsertedV1)(lambda session, payload, envelope: None)
    # Rejected before any database work: no sessions needed.
    subscribe(broker, handlers, None, TOPOLOGY, service="test", prefetch=1, lanes=1)
    async with TestRabbitBroker(broker) as test_broker:
        await test_broker.publish(body, queue=TOPOLOGY.group_queue("test-consumer"))


@pytest.mark.parametrize(("body", "what_broke"), [
    (json.dumps({"patient": NAME}).encode(), "'missing'"),
    (f'{{"patient": "{NAME}"'.encode(), "'json_invalid'"),
    (an_envelope_whose_payload_breaks_its_contract(), "'slug'"),
], ids=["not an envelope", "not JSON", "payload breaks its contract"])
def test_a_rejected_message_is_logged_without_its_content(caplog, body, what_broke):
    with caplog.at_level(logging.ERROR, logger="clinic_runtime.messaging.consumers"):
        asyncio.run(consume(body))
    [record] = [r for r in caplog.records if r.name == "clinic_runtime.messaging.consumers"]
    assert record.getMessage().startswith("rejected ")
    assert what_broke in record.getMessage()
    assert "Lovelace" not in record.getMessage()
