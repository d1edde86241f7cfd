"""A committed schema may only change in ways every consumer can still read."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from clinic_contracts import EVENT_MODELS
from clinic_contracts.compatibility import breaking_changes
from clinic_contracts.export import SCHEMAS_DIR, schema_path
from clinic_contracts.schema import envelope_schema

FileVersions = Callable[[Path], list[tuple[str, str]]]
CLINIC_UPSERTED = "catalog.clinic.upserted.v1"


def history_breaks(versions: list[tuple[str, str]]) -> list[str]:
    """Breaking changes between each version of a schema file and the one before it."""
    return [
        f"{older_revision} -> {newer_revision}: {reason}"
        for (older_revision, older), (newer_revision, newer) in pairwise(versions)
        for reason in breaking_changes(json.loads(older), json.loads(newer))
    ]


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_current_model_is_compatible_with_committed_schema(event_type: str) -> None:
    committed = json.loads(schema_path(event_type).read_text(encoding="utf-8"))

    assert breaking_changes(committed, envelope_schema(event_type)) == [], (
        f"{event_type} changed incompatibly: publish the change as a new version instead"
    )


@pytest.mark.parametrize("path", sorted(SCHEMAS_DIR.glob("*.json")), ids=lambda path: path.stem)
def test_schema_history_has_no_breaking_change(path: Path, file_versions: FileVersions) -> None:
    """Catches an incompatible model edit that was re-exported and committed."""
    assert history_breaks(file_versions(path)) == []


# --- the checker itself: each breaking edit of the committed schema must be reported ----------


def committed_clinic_upserted() -> dict[str, Any]:
    return json.loads(schema_path(CLINIC_UPSERTED).read_text(encoding="utf-8"))


def payload(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["$defs"]["ClinicUpsertedV1"]


def remove_property(schema: dict[str, Any]) -> None:
    del payload(schema)["properties"]["slug"]
    payload(schema)["required"].remove("slug")


def change_type(schema: dict[str, Any]) -> None:
    payload(schema)["properties"]["version"]["type"] = "string"


def add_required_property(schema: dict[str, Any]) -> None:
    payload(schema)["properties"]["region"] = {"type": "string"}
    payload(schema)["required"].append("region")


def require_optional_property(schema: dict[str, Any]) -> None:
    payload(schema)["required"].append("archived")


def make_required_property_optional(schema: dict[str, Any]) -> None:
    payload(schema)["required"].remove("locale")


def remove_nullable(schema: dict[str, Any]) -> None:
    schema["properties"]["clinicid"] = {"type": "string", "format": "uuid"}


def add_nullable(schema: dict[str, Any]) -> None:
    payload(schema)["properties"]["name"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}


def change_format(schema: dict[str, Any]) -> None:
    payload(schema)["properties"]["updated_at"]["format"] = "date"


def change_const(schema: dict[str, Any]) -> None:
    schema["properties"]["specversion"]["const"] = "1.1"


def restrict_to_enum(schema: dict[str, Any]) -> None:
    payload(schema)["properties"]["currency"]["enum"] = ["RON", "EUR"]


def change_bound(schema: dict[str, Any]) -> None:
    payload(schema)["properties"]["slug"]["maxLength"] = 40


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (remove_property, "data.slug: property removed"),
        (change_type, "data.version: type changed from integer to string"),
        (add_required_property, "data.region: new required property"),
        (require_optional_property, "data.archived: optional property became required"),
        (make_required_property_optional, "data.locale: required property became optional"),
        (remove_nullable, "clinicid: type changed from null | string to string"),
        (add_nullable, "data.name: type changed from string to null | string"),
        (change_format, 'data.updated_at: format changed from "date-time" to "date"'),
        (change_const, 'specversion: no longer allows "1.0"'),
        (restrict_to_enum, 'data.currency: now restricted to "EUR", "RON"'),
        (change_bound, "data.slug: maxLength changed from (none) to 40"),
    ],
    ids=lambda case: case.__name__ if callable(case) else None,
)
def test_breaking_edit_of_the_committed_schema_is_reported(
    edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    committed = committed_clinic_upserted()
    edited = copy.deepcopy(committed)
    edit(edited)

    reasons = breaking_changes(committed, edited)

    assert any(reason.startswith(expected) for reason in reasons), reasons


def test_adding_an_optional_property_is_compatible() -> None:
    committed = committed_clinic_upserted()
    edited = copy.deepcopy(committed)
    payload(edited)["properties"]["phone"] = {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "default": None,
    }
    edited["properties"]["partitionkey"] = {"type": "string"}

    assert breaking_changes(committed, edited) == []


def test_documentation_and_definition_names_are_not_contract() -> None:
    committed = committed_clinic_upserted()
    edited = copy.deepcopy(committed)
    edited["$defs"]["ClinicSnapshot"] = edited["$defs"].pop("ClinicUpsertedV1")
    edited["properties"]["data"] = {"$ref": "#/$defs/ClinicSnapshot", "description": "The clinic."}
    payload_schema = edited["$defs"]["ClinicSnapshot"]
    payload_schema["description"] = "Reworded."
    payload_schema["properties"]["name"]["title"] = "Display name"
    payload_schema["properties"]["archived"]["default"] = True

    assert breaking_changes(committed, edited) == []


# --- nested models, as pydantic writes them ------------------------------------------------------


class RoomV1(BaseModel):
    name: str
    floor: int


class RoomV2(BaseModel):
    name: str
    floor: str


class BuildingV1(BaseModel):
    rooms: list[RoomV1]
    kind: str = "clinic"


class BuildingV2(BaseModel):
    rooms: list[RoomV2]
    kind: str = "clinic"


def test_change_inside_a_referenced_model_in_an_array_is_reported() -> None:
    reasons = breaking_changes(BuildingV1.model_json_schema(), BuildingV2.model_json_schema())

    assert reasons == ["rooms[].floor: type changed from integer to string"]


def test_enum_narrowed_or_widened_is_reported() -> None:
    old = {
        "type": "object",
        "properties": {"status": {"enum": ["booked", "cancelled"], "type": "string"}},
    }
    narrowed = copy.deepcopy(old)
    narrowed["properties"]["status"]["enum"] = ["booked"]
    widened = copy.deepcopy(old)
    widened["properties"]["status"]["enum"] = ["booked", "cancelled", "no_show"]

    assert breaking_changes(old, narrowed) == ['status: no longer allows "cancelled"']
    assert breaking_changes(old, widened) == ['status: now allows "no_show" (old consumers reject it)']


def test_dict_values_are_compared() -> None:
    old = {
        "type": "object",
        "properties": {"prices": {"type": "object", "additionalProperties": {"type": "integer"}}},
    }
    new = copy.deepcopy(old)
    new["properties"]["prices"]["additionalProperties"] = {"type": "number"}

    assert breaking_changes(old, new) == ["prices.*: type changed from integer to number"]


class Category(BaseModel):
    name: str
    parent: Category | None = None


def test_recursive_models_terminate() -> None:
    schema = Category.model_json_schema()

    assert breaking_changes(schema, schema) == []


# --- the history walk, on a throwaway repository -------------------------------------------------


def git(repo: Path, *args: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env |= {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    identity = ["-c", "user.name=Contracts Test", "-c", "user.email=contracts@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=repo, env=env, check=True, capture_output=True)


def test_history_walk_reports_an_incompatible_edit(tmp_path: Path, file_versions: FileVersions) -> None:
    git(tmp_path, "init", "--quiet")
    schema = tmp_path / "event.json"
    v1 = {"type": "object", "properties": {"slug": {"type": "string"}}, "required": ["slug"]}
    schema.write_text(json.dumps(v1))
    git(tmp_path, "add", "event.json")
    git(tmp_path, "commit", "--quiet", "--no-verify", "-m", "v1")
    v1_1 = copy.deepcopy(v1)
    v1_1["properties"]["name"] = {"type": "string"}  # optional: compatible
    schema.write_text(json.dumps(v1_1))
    git(tmp_path, "commit", "--quiet", "--no-verify", "-am", "add optional name")
    schema.write_text(json.dumps({"type": "object", "properties": {"name": {"type": "string"}}}))

    versions = file_versions(schema)

    assert [revision for revision, _ in versions][-1] == "working tree"
    assert len(versions) == 3
    breaks = history_breaks(versions)
    assert len(breaks) == 1
    assert breaks[0].endswith("-> working tree: slug: property removed")


def test_history_walk_of_an_uncommitted_file_has_nothing_to_compare(
    tmp_path: Path, file_versions: FileVersions
) -> None:
    git(tmp_path, "init", "--quiet")
    schema = tmp_path / "new.json"
    schema.write_text(json.dumps({"type": "object"}))

    assert history_breaks(file_versions(schema)) == []
