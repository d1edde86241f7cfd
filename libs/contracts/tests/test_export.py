"""The committed schemas and AsyncAPI document are exactly what the models generate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from clinic_contracts import EVENT_MODELS, export, schema_uri
from clinic_contracts.schema import envelope_schema


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_envelope_schema_describes_the_event(event_type: str) -> None:
    schema = envelope_schema(event_type)

    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == schema_uri(event_type)
    assert schema["properties"]["type"]["const"] == event_type
    assert schema["properties"]["data"] == {"$ref": f"#/$defs/{EVENT_MODELS[event_type].__name__}"}
    assert "additionalProperties" not in schema, "consumers ignore unknown fields; keep the schema open"


def test_committed_files_are_up_to_date() -> None:
    stale = export.stale_files(export.render())

    assert not stale, (
        f"stale contract files {[str(path.relative_to(export.CONTRACTS_DIR)) for path in stale]}: "
        f"{export.REGENERATE_HINT}"
    )


def test_export_output_is_deterministic() -> None:
    assert export.render() == export.render()
    schema_text = export.schema_path(sorted(EVENT_MODELS)[0]).read_text(encoding="utf-8")
    assert schema_text == json.dumps(json.loads(schema_text), indent=2, sort_keys=True) + "\n"


def test_asyncapi_document_lists_every_channel() -> None:
    document = yaml.safe_load(export.ASYNCAPI_PATH.read_text(encoding="utf-8"))

    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "Clinic platform events"
    server = document["servers"]["rabbitmq"]
    assert (server["protocol"], server["host"]) == ("amqp", "localhost:5672")
    assert "<namespace>.events" in server["description"]
    assert document["channels"].keys() == EVENT_MODELS.keys()
    for event_type, model in EVENT_MODELS.items():
        channel = document["channels"][event_type]
        assert channel["address"] == event_type
        exchange = channel["bindings"]["amqp"]["exchange"]
        assert (exchange["name"], exchange["type"], exchange["durable"]) == ("clinic.events", "topic", True)
        operation = document["operations"][f"{model.producer}.publish.{event_type}"]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{event_type}"}
        assert operation["x-producer"] == model.producer
        message = document["components"]["messages"][event_type]
        assert message["contentType"] == "application/json"
        payload_name = message["payload"]["$ref"].removeprefix("#/components/schemas/")
        assert document["components"]["schemas"][payload_name]["properties"]["type"]["const"] == event_type
        example = json.loads(export.example_path(event_type).read_text(encoding="utf-8"))
        assert message["examples"][0]["payload"] == example


@pytest.fixture
def scratch_contracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the exporter at an empty copy of libs/contracts holding only the golden examples."""
    shutil.copytree(export.EXAMPLES_DIR, tmp_path / "examples")
    monkeypatch.setattr(export, "CONTRACTS_DIR", tmp_path)
    monkeypatch.setattr(export, "SCHEMAS_DIR", tmp_path / "schemas")
    monkeypatch.setattr(export, "EXAMPLES_DIR", tmp_path / "examples")
    monkeypatch.setattr(export, "ASYNCAPI_PATH", tmp_path / "asyncapi.yaml")
    return tmp_path


def test_export_writes_files_and_check_reports_stale_ones(
    scratch_contracts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event_type = sorted(EVENT_MODELS)[0]

    assert export.main(["--check"]) == 1
    assert not (scratch_contracts / "schemas").exists(), "--check must not write"

    assert export.main([]) == 0
    written = export.schema_path(event_type).read_text(encoding="utf-8")
    assert written == export.to_json(envelope_schema(event_type))
    assert export.main(["--check"]) == 0

    export.schema_path(event_type).write_text("{}\n", encoding="utf-8")
    orphan = scratch_contracts / "schemas" / "retired.event.v1.json"
    orphan.write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert export.main(["--check"]) == 1
    report = capsys.readouterr().err
    assert f"stale: schemas/{event_type}.json" in report
    assert "stale: schemas/retired.event.v1.json" in report
    assert "uv run clinic-contracts-export" in report

    assert export.main([]) == 0
    assert not orphan.exists()
    assert export.main(["--check"]) == 0
