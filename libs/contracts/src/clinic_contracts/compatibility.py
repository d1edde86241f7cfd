"""Is a new JSON Schema of an event type still compatible with the committed one?

An event type keeps its name only while consumers can read both directions of the change:
messages written under the new schema (consumers deployed before the change) and messages
written under the old one (outbox rows not yet relayed, dead letters replayed after the change).
So the set of values a field accepts may not move in either direction. The one freedom is a new
*optional* property: old consumers ignore unknown fields, new consumers default the missing one.

Anything else is a new version of the type (`.v2`), not an edit of the old one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Schema = Mapping[str, Any]
# Pairs of ($ref in old, $ref in new) being compared on the current path.
_Seen = frozenset[tuple[str | None, str | None]]

# Keywords that bound a value; tightening rejects old messages, loosening new ones.
_BOUNDS = (
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
)


def breaking_changes(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Why messages of one schema may not be readable under the other; empty when compatible.

    Local `$ref`s (`#/$defs/...`) are followed in each schema's own document, so renaming a
    definition is not a change while changing what it describes is.
    """
    return list(_Comparison(old_schema, new_schema).compare(old_schema, new_schema, "", frozenset()))


@dataclass(frozen=True)
class _Variant:
    """One alternative of a (possibly union) schema, with a single JSON type."""

    type: str
    schema: Schema
    ref: str | None  # the $ref it was reached through, to stop on recursive models


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root

    def compare(self, old: Schema, new: Schema, path: str, seen: _Seen) -> Iterator[str]:
        where = path or "(root)"
        old_variants = _by_type(_variants(old, self.old_root, None))
        new_variants = _by_type(_variants(new, self.new_root, None))
        if old_variants.keys() != new_variants.keys():
            yield f"{where}: type changed from {_union(old_variants)} to {_union(new_variants)}"
        for type_ in sorted(old_variants.keys() & new_variants.keys()):
            olds, news = old_variants[type_], new_variants[type_]
            if len(olds) != len(news):
                yield f"{where}: number of {type_} alternatives changed from {len(olds)} to {len(news)}"
            for old_variant, new_variant in zip(olds, news):
                yield from self._compare_variant(old_variant, new_variant, path, seen)

    def _compare_variant(self, old: _Variant, new: _Variant, path: str, seen: _Seen) -> Iterator[str]:
        refs = (old.ref, new.ref)
        if refs != (None, None):
            if refs in seen:
                return  # a recursive model: this pair is already being compared further up
            seen = seen | {refs}
        where = path or "(root)"
        yield from _compare_values(old, new, where)
        for keyword in ("format", *_BOUNDS):
            old_value, new_value = old.schema.get(keyword), new.schema.get(keyword)
            if old_value != new_value:
                yield f"{where}: {keyword} changed from {_show(old_value)} to {_show(new_value)}"
        if old.type == "object":
            yield from self._compare_object(old.schema, new.schema, path, seen)
        if old.type == "array":
            yield from self._compare_nested(old.schema, new.schema, "items", f"{path}[]", seen)

    def _compare_object(self, old: Schema, new: Schema, path: str, seen: _Seen) -> Iterator[str]:
        old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name, old_property in old_properties.items():
            where = _child(path, name)
            if name not in new_properties:
                yield f"{where}: property removed"
                continue
            if name in new_required and name not in old_required:
                yield f"{where}: optional property became required (old messages may lack it)"
            if name in old_required and name not in new_required:
                yield f"{where}: required property became optional (old consumers need it)"
            yield from self.compare(old_property, new_properties[name], where, seen)
        for name in new_properties.keys() - old_properties.keys():
            if name in new_required:
                yield f"{_child(path, name)}: new required property (old messages lack it)"
        yield from self._compare_nested(old, new, "additionalProperties", _child(path, "*"), seen)

    def _compare_nested(
        self, old: Schema, new: Schema, keyword: str, path: str, seen: _Seen
    ) -> Iterator[str]:
        """Compare a subschema keyword; a boolean or missing one only has to stay the same."""
        old_sub, new_sub = old.get(keyword), new.get(keyword)
        if isinstance(old_sub, Mapping) and isinstance(new_sub, Mapping):
            yield from self.compare(old_sub, new_sub, path, seen)
        elif old_sub != new_sub:
            yield f"{path}: {keyword} changed from {_show(old_sub)} to {_show(new_sub)}"


def _compare_values(old: _Variant, new: _Variant, where: str) -> Iterator[str]:
    old_values, new_values = _allowed_values(old), _allowed_values(new)
    if old_values == new_values:
        return
    if new_values is None:
        yield f"{where}: no longer restricted to {_show_values(old_values)}"
    elif old_values is None:
        yield f"{where}: now restricted to {_show_values(new_values)}"
    else:
        if removed := old_values - new_values:
            yield f"{where}: no longer allows {_show_values(removed)}"
        if added := new_values - old_values:
            yield f"{where}: now allows {_show_values(added)} (old consumers reject it)"


def _allowed_values(variant: _Variant) -> set[str] | None:
    """The values an enum or const admits for this variant's type, as JSON text; None if any."""
    schema = variant.schema
    if "const" in schema:
        values = [schema["const"]]
    elif "enum" in schema:
        values = schema["enum"]
    else:
        return None
    return {json.dumps(value, sort_keys=True) for value in values if _json_type(value) == variant.type}


def _variants(schema: Schema, root: Schema, ref: str | None) -> list[_Variant]:
    """Flatten `$ref`, `anyOf`/`oneOf` and `type: [...]` into single-typed alternatives."""
    schema, ref = _resolve(schema, root, ref)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return [variant for branch in branches for variant in _variants(branch, root, ref)]
    return [_Variant(type_, schema, ref) for type_ in _types(schema)]


def _resolve(schema: Schema, root: Schema, ref: str | None) -> tuple[Schema, str | None]:
    # Keywords beside a $ref (pydantic puts `description` there) apply on top of its target.
    while "$ref" in schema:
        ref = schema["$ref"]
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**_pointer(root, ref), **siblings}
    return schema, ref


def _pointer(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, not {ref!r}")
    node: Any = root
    for token in ref[1:].split("/")[1:]:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _types(schema: Schema) -> list[str]:
    if "type" in schema:
        declared = schema["type"]
        return [declared] if isinstance(declared, str) else list(declared)
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        return sorted({_json_type(value) for value in values})
    if "properties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return ["any"]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _by_type(variants: list[_Variant]) -> dict[str, list[_Variant]]:
    grouped: dict[str, list[_Variant]] = {}
    for variant in variants:
        grouped.setdefault(variant.type, []).append(variant)
    # Pair same-typed alternatives (e.g. two object models) by title, the model name.
    for group in grouped.values():
        group.sort(key=lambda variant: str(variant.schema.get("title", "")))
    return grouped


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _union(variants: Mapping[str, list[_Variant]]) -> str:
    return " | ".join(sorted(variants))


def _show(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, sort_keys=True)


def _show_values(values: set[str]) -> str:
    return ", ".join(sorted(values))
