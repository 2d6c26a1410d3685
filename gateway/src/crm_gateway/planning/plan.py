"""Query plan data: fetches, their paths and representation templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from graphql import DirectiveNode, FragmentDefinitionNode, OperationDefinitionNode, ValueNode

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


@dataclass(frozen=True, slots=True)
class NodeLookup:
    """`node(nodeId:)` / `nodes(nodeIds:)`: the gateway decodes the global ids into objects
    holding their type and key fields (`execution.global_ids`), which entity fetches to the
    types' owning subgraphs then resolve."""

    response_key: str
    argument: ValueNode | None  # the ids as the operation passes them (literal or variable)
    many: bool  # `nodes`: a list of ids
    # @skip / @include on the field and the fragments around it, for each place the operation
    # selects it (under the same response key): the lookup runs when one of them is included
    conditions: tuple[tuple[DirectiveNode, ...], ...]


@dataclass(frozen=True, slots=True)
class NodeIdSite:
    """Where the operation selects `nodeId`: the gateway writes the global id into the
    objects of `type_name` at `path` from their key fields (`template`) once every fetch is
    done."""

    path: tuple[PathSegment, ...]
    type_name: str
    response_key: str
    template: Template


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
    lookup: NodeLookup | None = None  # resolved by the gateway itself, without a request
    # resolves the objects of a lookup: an object the subgraph does not return becomes null
    drops_missing: bool = False

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
class FetchNode:
    """One request to a subgraph: a root fetch, or the entity fetches to one subgraph that
    become ready together (same dependencies), sent as aliased `_entities` calls."""

    id: int
    subgraph: str
    fetches: list[Fetch]
    depends_on: set[int] = field(default_factory=set)  # ids of the fetch nodes it needs
    operation: str = ""
    operation_name: str | None = None
    renames: dict[str, str] = field(default_factory=dict)  # alias in the answer -> response key
    # dependencies the tree's order does not already guarantee (only in plans whose
    # dependencies are not series-parallel): waited for explicitly
    waits: tuple[int, ...] = ()

    @property
    def is_entity(self) -> bool:
        return self.fetches[0].is_entity

    @property
    def is_mutation(self) -> bool:
        return self.operation.startswith("mutation")


@dataclass(eq=False)
class FlattenNode:
    """An entity fetch: the objects at its fetches' paths in the data merged so far become
    representations, and the `_entities` answers are merged back into those objects."""

    node: FetchNode

    @property
    def paths(self) -> list[list[str]]:
        return [[s.key for s in f.path] for f in self.node.fetches]


@dataclass(eq=False)
class SequenceNode:
    """Its nodes one after the other."""

    nodes: list[PlanNode]


@dataclass(eq=False)
class ParallelNode:
    """Its nodes concurrently."""

    nodes: list[PlanNode]


PlanNode = FetchNode | FlattenNode | SequenceNode | ParallelNode


def fetch_nodes(node: PlanNode | None) -> list[FetchNode]:
    """The fetch nodes of a plan (sub)tree, by id."""
    found: list[FetchNode] = []
    stack: list[PlanNode] = [] if node is None else [node]
    while stack:
        current = stack.pop()
        if isinstance(current, FlattenNode):
            found.append(current.node)
        elif isinstance(current, FetchNode):
            found.append(current)
        else:
            stack.extend(current.nodes)
    return sorted(found, key=lambda n: n.id)


def node_view(node: PlanNode) -> dict[str, object]:
    """A JSON-able view of a plan node (like Apollo's query plan)."""
    if isinstance(node, FetchNode):
        view: dict[str, object] = {
            "kind": "Fetch",
            "id": node.id,
            "subgraph": node.subgraph,
            "operation": node.operation,
        }
        if node.waits:
            view["waitsFor"] = list(node.waits)
        return view
    if isinstance(node, FlattenNode):
        return {"kind": "Flatten", "paths": node.paths, "node": node_view(node.node)}
    kind = "Sequence" if isinstance(node, SequenceNode) else "Parallel"
    return {"kind": kind, "nodes": [node_view(n) for n in node.nodes]}


@dataclass
class QueryPlan:
    operation_type: str
    root_type: str
    node: PlanNode | None  # None: nothing to fetch (only __typename or introspection)
    fetches: list[Fetch]
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    has_introspection: bool
    node_ids: list[NodeIdSite] = field(default_factory=list)

    def fetch_nodes(self) -> list[FetchNode]:
        return fetch_nodes(self.node)

    @cached_property
    def waited_for(self) -> frozenset[int]:
        """Fetch nodes that some fetch node waits for explicitly (`FetchNode.waits`)."""
        return frozenset(w for n in self.fetch_nodes() for w in n.waits)

    @property
    def steps(self) -> list[list[FetchNode]]:
        """The fetch nodes by the part of the plan they belong to: one part per root
        mutation field (run one after the other), a single part for a query."""
        if self.operation_type == "mutation" and isinstance(self.node, SequenceNode):
            return [fetch_nodes(n) for n in self.node.nodes]
        return [self.fetch_nodes()] if self.node is not None else []

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
            for b in self.fetch_nodes()
        ]

    def tree(self) -> dict[str, object] | None:
        """The plan as a tree of Fetch, Flatten, Sequence and Parallel nodes."""
        return None if self.node is None else node_view(self.node)


def merge_templates(into: Template, other: Template) -> Template:
    for name, (key, nested) in other.items():
        current = into.get(name)
        if current is not None and current[1] is not None and nested is not None:
            merge_templates(current[1], nested)
        else:
            into[name] = (key, nested)
    return into
