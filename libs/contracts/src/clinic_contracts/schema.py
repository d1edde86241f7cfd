"""JSON Schema of the envelope as it travels for one event type.

`Envelope.data` is a plain dict so one envelope class can carry any event. For the published
contract we narrow it per type: `type` becomes a constant and `data` the event's own model.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import create_model

from clinic_contracts.envelope import Envelope, schema_uri
from clinic_contracts.registry import event_model

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@cache  # One class per type, so pydantic names it the same way in every schema it appears in.
def envelope_model(event_type: str) -> type[Envelope]:
    """The envelope narrowed to one event type: `type` is constant, `data` is the payload model."""
    model = event_model(event_type)
    return create_model(
        f"{model.__name__}Envelope",
        __base__=Envelope,
        __doc__=f"CloudEvents 1.0 envelope of a `{event_type}` event, published by {model.producer}.",
        type=(Literal[event_type], ...),
        data=(model, ...),
    )


def envelope_schema(event_type: str) -> dict[str, Any]:
    """The committed contract of `event_type`: a standalone draft 2020-12 schema.

    Validation mode, because the schema describes what consumers accept. It stays open to
    unknown fields (no `additionalProperties: false`): consumers ignore them, which is what lets
    a producer add an optional field without a new version.
    """
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_uri(event_type),
        **envelope_model(event_type).model_json_schema(mode="validation"),
    }
