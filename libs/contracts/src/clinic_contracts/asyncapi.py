"""The AsyncAPI 3.0 document that tells downstream teams what goes over the broker.

One channel per event type, because the routing key is the versioned type: a consumer binds its
queue to exactly the channels it reads. Payload schemas live under `components.schemas`, with
references rewritten to point there, so the document stands alone in AsyncAPI tooling.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from pydantic.json_schema import models_json_schema

from clinic_contracts.registry import EVENT_MODELS
from clinic_contracts.schema import envelope_model

# The default broker namespace; the exchange is `<namespace>.events` (clinic_runtime.messaging.topology).
EVENTS_EXCHANGE = "clinic.events"
AMQP_BINDING_VERSION = "0.3.0"


def asyncapi_document(examples: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The document for every registered event type; `examples` maps a type to its golden envelope."""
    event_types = sorted(EVENT_MODELS)
    refs, definitions = models_json_schema(
        [(envelope_model(event_type), "validation") for event_type in event_types],
        ref_template="#/components/schemas/{model}",
    )
    payload_refs = {
        event_type: refs[envelope_model(event_type), "validation"] for event_type in event_types
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Clinic platform events",
            "version": version("clinic-contracts"),
            "description": (
                "Domain events of the clinic platform. Every message is a CloudEvents 1.0 envelope "
                "whose `data` is the payload of its versioned `type`; the AMQP routing key is that "
                "type. Consumers ignore unknown fields: a producer may add optional fields within a "
                "version, anything else is a new version published alongside the old one."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": (
                    "RabbitMQ. Events are published to the exchange `<namespace>.events` "
                    f"(`{EVENTS_EXCHANGE}` by default), a durable topic exchange, as persistent "
                    "mandatory messages with publisher confirms."
                ),
            }
        },
        "channels": {event_type: _channel(event_type) for event_type in event_types},
        "operations": {_operation_id(event_type): _operation(event_type) for event_type in event_types},
        "components": {
            "messages": {
                event_type: _message(event_type, payload_refs[event_type], examples.get(event_type))
                for event_type in event_types
            },
            "schemas": definitions["$defs"],
        },
    }


def _operation_id(event_type: str) -> str:
    return f"{EVENT_MODELS[event_type].producer}.publish.{event_type}"


def _channel(event_type: str) -> dict[str, Any]:
    return {
        "address": event_type,
        "title": event_type,
        "summary": _summary(event_type),
        "servers": [{"$ref": "#/servers/rabbitmq"}],
        "messages": {event_type: {"$ref": f"#/components/messages/{event_type}"}},
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": EVENTS_EXCHANGE,
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/",
                },
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
    }


def _operation(event_type: str) -> dict[str, Any]:
    producer = EVENT_MODELS[event_type].producer
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{event_type}"},
        "messages": [{"$ref": f"#/channels/{event_type}/messages/{event_type}"}],
        "summary": f"The {producer} service publishes {event_type} through its outbox.",
        "tags": [{"name": producer}],
        "x-producer": producer,
        "bindings": {
            "amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": AMQP_BINDING_VERSION}
        },
    }


def _message(
    event_type: str, payload_ref: Mapping[str, Any], example: Mapping[str, Any] | None
) -> dict[str, Any]:
    model = EVENT_MODELS[event_type]
    message: dict[str, Any] = {
        "name": event_type,
        "title": model.__name__,
        "summary": _summary(event_type),
        "description": _docstring(event_type),
        "contentType": "application/json",
        "payload": dict(payload_ref),
        "tags": [{"name": model.producer}],
        "bindings": {"amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING_VERSION}},
    }
    # A type registered before its golden example is written still gets a message; the contract
    # tests insist on the example.
    if example is not None:
        message["examples"] = [
            {"name": "golden", "summary": "The committed golden example.", "payload": example}
        ]
    return message


def _docstring(event_type: str) -> str:
    return " ".join((EVENT_MODELS[event_type].__doc__ or event_type).split())


def _summary(event_type: str) -> str:
    return _docstring(event_type).split(". ")[0].rstrip(".") + "."
