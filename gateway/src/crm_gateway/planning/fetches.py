"""The fetches of one plan being built: their creation and bookkeeping, and what a subgraph
returns by itself at a point of the operation (the fields it resolves, or that a `@provides`
above makes local)."""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
    SelectionSetNode,
    print_ast,
)

from crm_gateway.composition.nodes import GATEWAY
from crm_gateway.composition.supergraph import Supergraph, TypeInfo
from crm_gateway.planning.plan import Fetch, NodeIdSite, NodeLookup, PathSegment
from crm_gateway.planning.scope import Where

ChildKey = tuple[int, tuple[PathSegment, ...], str, str]
"""(parent fetch id, response path, subgraph, tag): one entity fetch per such key."""


class FetchGraph:
    """The state shared by the planner's parts while one operation is planned."""

    def __init__(
        self,
        supergraph: Supergraph,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self.sg = supergraph
        self.operation = operation
        self.fragments = fragments
        self.op_type = operation.operation.value
        self.fetches: list[Fetch] = []
        self.roots: list[Fetch] = []
        self.has_introspection = False
        self.node_ids: list[NodeIdSite] = []
        self._children: dict[ChildKey, Fetch] = {}
        # entity hops being planned (fetch, path, type, field): a key that needs itself
        self.pending: set[tuple[int, tuple[PathSegment, ...], str, str]] = set()
        self.variable_definitions = {
            v.variable.name.value: print_ast(v) for v in operation.variable_definitions or ()
        }

    # ---- fetch creation ----------------------------------------------------------------

    def new_fetch(
        self, subgraph: str, path: tuple[PathSegment, ...], parent: Fetch | None
    ) -> Fetch:
        fetch = Fetch(
            len(self.fetches), subgraph, path, is_entity=parent is not None, parent=parent
        )
        self.fetches.append(fetch)
        if parent is not None:
            parent.children.append(fetch)
        return fetch

    def new_root(self, subgraph: str) -> Fetch:
        fetch = self.new_fetch(subgraph, (), None)
        self.roots.append(fetch)
        return fetch

    def new_lookup(self, lookup: NodeLookup) -> Fetch:
        """A root fetch the gateway resolves itself (`node` / `nodes`)."""
        fetch = self.new_root(GATEWAY)
        fetch.lookup = lookup
        return fetch

    def root_for(self, subgraph: str) -> Fetch:
        """The root fetch to `subgraph` (created when there is none yet)."""
        found = next((r for r in self.roots if r.subgraph == subgraph), None)
        return found if found is not None else self.new_root(subgraph)

    def child(
        self, parent: Fetch, path: tuple[PathSegment, ...], subgraph: str, tag: str = ""
    ) -> Fetch:
        """The entity fetch to `subgraph` for the objects of `parent` at `path`."""
        key = (parent.id, path, subgraph, tag)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.new_fetch(subgraph, path, parent)
        return child

    def type_filter(self, type_name: str) -> frozenset[str] | None:
        if type_name in self.sg.root_type_names():
            return None
        # an abstract type's own name: objects an @interfaceObject subgraph returned
        return frozenset((*self.sg.possible_types(type_name), type_name))

    # ---- locality ----------------------------------------------------------------------

    def is_local(self, info: TypeInfo, subgraph: str, name: str, where: Where) -> bool:
        """Does `subgraph` return the field itself (it resolves it, or a @provides above makes
        it local)? A field the subgraph marks @external is not its to return, key fields
        included (the reference gateways do not trust such a value either)."""
        field_info = info.fields.get(name)
        return field_info is not None and (
            field_info.resolvable_in(subgraph) or where.has(name, info.name)
        )

    def has_fields(
        self, info: TypeInfo, subgraph: str, key: SelectionSetNode, where: Where
    ) -> bool:
        """Does `subgraph` return every field of `key` (a key's field set) itself?"""
        return all(
            self.is_local(info, subgraph, node.name.value, where)
            for node in key.selections
            if isinstance(node, FieldNode) and node.name.value != "__typename"
        )
