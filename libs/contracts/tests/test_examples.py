"""Golden examples: one hand-written envelope per event type, exactly as its producer emits it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from clinic_contracts import EVENT_MODELS, Envelope, schema_uri
from clinic_contracts.export import EXAMPLES_DIR, example_path, schema_path

EVENT_TYPES = sorted(EVENT_MODELS)


def committed_schema(event_type: str) -> dict[str, Any]:
    return json.loads(schema_path(event_type).read_text(encoding="utf-8"))


def schema_violations(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def test_every_event_type_has_exactly_one_example() -> None:
    assert sorted(path.stem for path in EXAMPLES_DIR.glob("*.json")) == EVENT_TYPES


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_example_validates_against_its_committed_schema(event_type: str) -> None:
    example = json.loads(example_path(event_type).read_text(encoding="utf-8"))

    assert schema_violations(committed_schema(event_type), example) == []


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_example_is_what_the_producer_emits(event_type: str) -> None:
    model = EVENT_MODELS[event_type]
    example = json.loads(example_path(event_type).read_text(encoding="utf-8"))

    envelope = Envelope.model_validate(example)
    event = envelope.payload(model)
    # Wrapping the parsed event again must give the example back, so the example carries
    # every field (and the subject, source and dataschema) the way the producer writes them.
    rewrapped = Envelope.wrap(
        event,
        clinic_id=envelope.clinicid,
        correlation_id=envelope.correlationid,
        traceparent=envelope.traceparent,
        event_id=envelope.id,
        occurred_at=envelope.time,
    )
    assert rewrapped.model_dump(mode="json") == example
    assert example["source"] == f"/services/{model.producer}"
    assert example["dataschema"] == schema_uri(event_type)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_version_of_the_example_is_still_readable(
    event_type: str, file_versions: Callable[[Path], list[tuple[str, str]]]
) -> None:
    """Messages written to an older example's shape may still sit in outboxes and dead letters."""
    schema = committed_schema(event_type)
    for revision, text in file_versions(example_path(event_type)):
        example = json.loads(text)
        assert schema_violations(schema, example) == [], f"example at {revision}"
        Envelope.model_validate(example).payload(EVENT_MODELS[event_type])
