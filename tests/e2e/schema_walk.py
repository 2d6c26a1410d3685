"""Walking the composed API schema: which fields hold personal data (the scalars whose
description starts with ``Personal data (<kind>)``), which root fields reach them, a query
that selects every field under a root field, and the personal values in an answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)

_PERSONAL = re.compile(r"^Personal data \((?P<kind>[A-Za-z ]+)\)")
MAX_DEPTH = 6
ANY_KIND = "any kind"

# (type, field) -> literal arguments, or None when a required argument cannot be filled
type Arguments = Callable[[GraphQLNamedType, str, GraphQLField], str | None]


def personal_scalars(schema: GraphQLSchema) -> dict[str, str]:
    """Scalar name -> the kind of personal data it holds (``any kind`` for JSON)."""
    found: dict[str, str] = {}
    for name, named in schema.type_map.items():
        if isinstance(named, GraphQLScalarType) and named.description:
            match = _PERSONAL.match(named.description)
            if match:
                found[name] = match.group("kind").strip()
    return found


def _children(named: GraphQLNamedType) -> list[GraphQLNamedType]:
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return [get_named_type(f.type) for f in named.fields.values()]
    if isinstance(named, GraphQLUnionType):
        return list(named.types)
    return []


def reaching(schema: GraphQLSchema, personal: dict[str, str]) -> set[str]:
    """Names of the types from which some personal field can be reached."""
    reach = set(personal)
    changed = True
    while changed:
        changed = False
        for name, named in schema.type_map.items():
            if name not in reach and any(c.name in reach for c in _children(named)):
                reach.add(name)
                changed = True
    return reach


def personal_coordinates(schema: GraphQLSchema, personal: dict[str, str]) -> set[str]:
    """Every ``Type.field`` whose type is a personal scalar."""
    return {
        f"{name}.{field}"
        for name, named in schema.type_map.items()
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType) and not name.startswith("__")
        for field, definition in named.fields.items()
        if get_named_type(definition.type).name in personal
    }


@dataclass
class Walk:
    schema: GraphQLSchema
    arguments: Arguments
    unfillable: list[str]

    def root(self, root: GraphQLObjectType, field: str) -> str | None:
        """A query selecting everything under `root.field` (None: its arguments are unknown)."""
        definition = root.fields[field]
        call = self._call(root, field, definition)
        if call is None:
            return None
        inner = self._selection(get_named_type(definition.type), 1, frozenset())
        return f"{call}{inner}"

    def _call(self, owner: GraphQLNamedType, field: str, definition: GraphQLField) -> str | None:
        needs = any(
            isinstance(a.type, GraphQLNonNull)
            and a.default_value is Undefined
            and a.default is None
            for a in definition.args.values()
        )
        args = self.arguments(owner, field, definition)
        if args is None:
            if needs:
                self.unfillable.append(f"{owner.name}.{field}")
                return None
            args = ""
        return f"{field}{args}"

    def _selection(self, named: GraphQLNamedType, depth: int, seen: frozenset[str]) -> str:
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            return ""
        seen = seen | {named.name}
        if isinstance(named, GraphQLUnionType):
            parts = [f"... on {t.name} {self._selection(t, depth, seen)}" for t in named.types]
            return "{ __typename " + " ".join(parts) + " }"
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        parts = ["__typename"]
        for field, definition in named.fields.items():
            target = get_named_type(definition.type)
            nested = not isinstance(target, GraphQLScalarType | GraphQLEnumType)
            if nested and (depth >= MAX_DEPTH or target.name in seen):
                continue
            call = self._call(named, field, definition)
            if call is not None:
                parts.append(call + (self._selection(target, depth + 1, seen) if nested else ""))
        return "{ " + " ".join(parts) + " }"


@dataclass(frozen=True)
class Found:
    path: str  # e.g. customer.history.versions.changes.before
    coordinate: str  # Type.field
    kind: str
    value: Any


def personal_values(
    schema: GraphQLSchema, personal: dict[str, str], named: GraphQLNamedType, data: Any, path: str
) -> Iterator[Found]:
    """Every personal value in `data` (an answer for a value of type `named`)."""
    if isinstance(data, list):
        for item in data:
            yield from personal_values(schema, personal, named, item, path)
        return
    if not isinstance(data, dict) or isinstance(named, GraphQLInputObjectType):
        return
    runtime = schema.type_map.get(str(data.get("__typename") or named.name), named)
    if not isinstance(runtime, GraphQLObjectType | GraphQLInterfaceType):
        return
    for key, value in data.items():
        definition = runtime.fields.get(key)
        if definition is None or value is None:
            continue
        target = get_named_type(definition.type)
        if target.name in personal:
            for item in value if isinstance(value, list) else [value]:
                yield Found(f"{path}.{key}", f"{runtime.name}.{key}", personal[target.name], item)
        else:
            yield from personal_values(schema, personal, target, value, f"{path}.{key}")


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
