"""Query plan data: fetches, their paths and representation templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import FragmentDefinitionNode, OperationDefinitionNode

from crm_gateway.planning.selection import SubSelection

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})

Template = dict[str, tuple[str, "Template | None"]]
"""Representation template: field name -> (response key in the data, nested template)."""


class PlanningError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class PathSegment:
    key: str
    types: frozenset[str] | None  # runtime types of the object holding `key`; None: any


@dataclass(eq=False)
class Fetch:
    id: int
    subgraph: str
    path: tuple[PathSegment, ...]
    is_entity: bool
    parent: Fetch | None = None
    selection: SubSelection = field(default_factory=SubSelection)
    depends_on: set[int] = field(default_factory=set)
    templates: dict[str, Template] = field(default_factory=dict)  # entity type -> template
    rep_typenames: dict[str, str] = field(default_factory=dict)  # type -> @interfaceObject
    variables: dict[str, None] = field(default_factory=dict)
    children: list[Fetch] = field(default_factory=list)
    representations_variable: str = "representations"
    alias: str = "_entities"  # response key of its `_entities` call inside its batch

    def error_key(self, typename: str | None) -> str | None:
        """The response key a failure of this fetch is reported at."""
        if not self.is_entity:
            return next(self.selection.response_keys(), None)
        for (type_condition, _), fragment in self.selection.fragments.items():
            if typename is None or type_condition == typename:
                return next(fragment.response_keys(), None)
        return None

    def descendants(self) -> list[Fetch]:
        found: list[Fetch] = []
        stack = list(self.children)
        while stack:
            current = stack.pop(0)
            found.append(current)
            stack.extend(current.children)
        return found


@dataclass(eq=False)
class Batch:
    """One HTTP request: a root fetch, or the entity fetches to one subgraph that become
    ready together (same dependencies), sent as aliased `_entities` calls."""

    id: int
    subgraph: str
    fetches: list[Fetch]
    depends_on: set[int] = field(default_factory=set)  # batch ids
    operation: str = ""
    operation_name: str | None = None
    renames: dict[str, str] = field(default_factory=dict)  # alias in the answer -> response key

    @property
    def is_entity(self) -> bool:
        return self.fetches[0].is_entity

    @property
    def is_mutation(self) -> bool:
        return self.operation.startswith("mutation")


@dataclass
class QueryPlan:
    operation_type: str
    root_type: str
    steps: list[list[Batch]]  # executed in order; batches inside a step run concurrently
    fetches: list[Fetch]
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    has_introspection: bool

    def describe(self) -> list[dict[str, object]]:
        """A JSON-able view of the plan (debugging, tests): one entry per request."""
        return [
            {
                "id": b.id,
                "subgraph": b.subgraph,
                "entity": b.is_entity,
                "paths": [[s.key for s in f.path] for f in b.fetches],
                "dependsOn": sorted(b.depends_on),
                "operation": b.operation,
            }
            for step in self.steps
            for b in step
        ]


def merge_templates(into: Template, other: Template) -> Template:
    for name, (key, nested) in other.items():
        current = into.get(name)
        if current is not None and current[1] is not None and nested is not None:
            merge_templates(current[1], nested)
        else:
            into[name] = (key, nested)
    return into
