"""Lint of the public API schema: the conventions of docs/api.md that can be checked from the
schema alone, and how much of it is described.

Rules (each violation names a schema coordinate):
- `described`: every type, field, argument, input field and enum value has a description.
- `connection`: a type named `…Connection` has `edges: [<X>Edge!]!`, `pageInfo: PageInfo!` and
  `totalCount: Int!`; a `…Edge` has `node` and `cursor: String!`; a field returning a
  connection takes `first: Int` and `after: String`.
- `paged-list`: a field that takes `first` returns a connection (a list that can grow pages).
- `first`: every `first` argument is `Int` (nullable, with a default).
- `naming`: types PascalCase, fields and arguments camelCase, enum values UPPER_SNAKE_CASE,
  input types end in `Input`.
- `mutation-result`: a mutation returns an object (a payload), never a bare scalar or list.
- `lookup`: a root query field that finds one object (not a connection) by `id` or `nodeId` is
  nullable (null with the reason in `errors`, so the rest of the response survives).
- `reference`: a field named `…Id` or `…Ids` of a built-in scalar type is typed `ID` (a
  personal-data scalar such as `WeChatId` is a value, not a reference).

    python -m crm_dev.schema_lint [schema/api.graphql | --composed]   # coverage, violations
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    build_schema,
    get_named_type,
    is_introspection_type,
    is_specified_scalar_type,
)

PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    coordinate: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.coordinate}: {self.detail}"


@dataclass(slots=True)
class Coverage:
    described: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)

    def count(self, kind: str, description: str | None) -> bool:
        self.total[kind] += 1
        self.described[kind] += bool(description and description.strip())
        return bool(description and description.strip())

    @property
    def percent(self) -> float:
        total = sum(self.total.values())
        return 100.0 * sum(self.described.values()) / total if total else 100.0


def own_types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        t
        for name, t in sorted(schema.type_map.items())
        if not is_introspection_type(t) and not is_specified_scalar_type(t)
    ]


def coverage(schema: GraphQLSchema) -> tuple[Coverage, list[Violation]]:
    """How much is described, and a `described` violation per element that is not."""
    cov, missing = Coverage(), []
    for coordinate, kind, description in _elements(schema):
        if not cov.count(kind, description):
            missing.append(Violation("described", coordinate, f"{kind} without a description"))
    return cov, missing


def _elements(schema: GraphQLSchema) -> Iterator[tuple[str, str, str | None]]:
    for t in own_types(schema):
        yield t.name, "type", t.description
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for name, f in t.fields.items():
                yield f"{t.name}.{name}", "field", f.description
                for arg_name, arg in f.args.items():
                    yield f"{t.name}.{name}({arg_name}:)", "argument", arg.description
        elif isinstance(t, GraphQLInputObjectType):
            for name, input_field in t.fields.items():
                yield f"{t.name}.{name}", "input field", input_field.description
        elif isinstance(t, GraphQLEnumType):
            for name, value in t.values.items():
                yield f"{t.name}.{name}", "enum value", value.description


def _fields(schema: GraphQLSchema) -> Iterator[tuple[str, GraphQLField]]:
    for t in own_types(schema):
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for name, f in t.fields.items():
                yield f"{t.name}.{name}", f


def _is_connection(t: GraphQLType) -> bool:
    return get_named_type(t).name.endswith("Connection")


def connections(schema: GraphQLSchema) -> Iterator[Violation]:
    for t in own_types(schema):
        if isinstance(t, GraphQLObjectType) and t.name.endswith("Connection"):
            for name, wanted in (("edges", f"[{t.name[:-10]}Edge!]!"), ("pageInfo", "PageInfo!"),
                                 ("totalCount", "Int!")):  # fmt: skip
                got = str(t.fields[name].type) if name in t.fields else "missing"
                if got != wanted:
                    yield Violation("connection", f"{t.name}.{name}", f"{got}, not {wanted}")
        edge = t if isinstance(t, GraphQLObjectType) and t.name.endswith("Edge") else None
        if edge is not None and ("node" not in edge.fields or "cursor" not in edge.fields):
            yield Violation("connection", t.name, "an edge has `node` and `cursor`")
    for coordinate, f in _fields(schema):
        if _is_connection(f.type):
            yield from _paging_args(coordinate, f.args)


def _paging_args(coordinate: str, args: dict[str, GraphQLArgument]) -> Iterator[Violation]:
    for name, wanted in (("first", "Int"), ("after", "String")):
        got = str(args[name].type) if name in args else "missing"
        if got != wanted:
            yield Violation("connection", f"{coordinate}({name}:)", f"{got}, not {wanted}")


def paged_lists(schema: GraphQLSchema) -> Iterator[Violation]:
    for coordinate, f in _fields(schema):
        if "first" in f.args and not _is_connection(f.type):
            yield Violation("paged-list", coordinate, f"takes `first` but returns {f.type}")
        if "first" in f.args and (str(f.args["first"].type) != "Int"):
            yield Violation("first", f"{coordinate}(first:)", f"{f.args['first'].type}, not Int")


def naming(schema: GraphQLSchema) -> Iterator[Violation]:
    for t in own_types(schema):
        if not PASCAL.match(t.name):
            yield Violation("naming", t.name, "type names are PascalCase")
        if isinstance(t, GraphQLInputObjectType) and not t.name.endswith("Input"):
            yield Violation("naming", t.name, "input type names end in Input")
        if isinstance(t, GraphQLEnumType):
            bad = [v for v in t.values if not UPPER_SNAKE.match(v)]
            yield from (Violation("naming", f"{t.name}.{v}", "UPPER_SNAKE_CASE") for v in bad)
    for coordinate, f in _fields(schema):
        name = coordinate.split(".", 1)[1]
        if not CAMEL.match(name) and not name.startswith("_"):
            yield Violation("naming", coordinate, "field names are camelCase")
        bad_args = [a for a in f.args if not CAMEL.match(a)]
        yield from (Violation("naming", f"{coordinate}({a}:)", "camelCase") for a in bad_args)


def mutation_results(schema: GraphQLSchema) -> Iterator[Violation]:
    mutation = schema.mutation_type
    for name, f in (mutation.fields if mutation else {}).items():
        t = f.type.of_type if isinstance(f.type, GraphQLNonNull) else f.type
        if isinstance(t, GraphQLList) or not isinstance(t, GraphQLObjectType):
            yield Violation("mutation-result", f"Mutation.{name}", f"returns {f.type}")


def references(schema: GraphQLSchema) -> Iterator[Violation]:
    for coordinate, f in _fields(schema):
        name = coordinate.split(".", 1)[1]
        named = get_named_type(f.type).name
        if re.search(r"[a-z]Ids?$", name) and named in ("String", "Int"):
            yield Violation("reference", coordinate, f"{f.type}, not ID")


def lookups(schema: GraphQLSchema) -> Iterator[Violation]:
    query = schema.query_type
    for name, f in (query.fields if query else {}).items():
        finds_one = {"id", "nodeId"} & set(f.args) and not _is_connection(f.type)
        if finds_one and isinstance(f.type, GraphQLNonNull):
            yield Violation("lookup", f"Query.{name}", f"{f.type} is not nullable")


def lint(schema: GraphQLSchema) -> tuple[Coverage, list[Violation]]:
    cov, violations = coverage(schema)
    for rule in (connections, paged_lists, naming, mutation_results, lookups, references):
        violations.extend(rule(schema))
    return cov, violations


def _schema_text(argument: str) -> str:
    if argument == "--composed":  # the services in this checkout, before `make schema`
        from crm_dev.api_schema import composed_sdl

        return composed_sdl()
    return Path(argument).read_text(encoding="utf-8")


def main() -> int:
    cov, violations = lint(build_schema(_schema_text((sys.argv[1:] or ["schema/api.graphql"])[0])))
    for kind in sorted(cov.total):
        print(f"{kind:12} {cov.described[kind]:5} of {cov.total[kind]:5} described")
    print(f"{'all':12} {cov.percent:.1f} % described")
    for rule, n in sorted(Counter(v.rule for v in violations).items()):
        print(f"violations {rule:16} {n}")
    print("\n".join(map(str, violations)))
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
