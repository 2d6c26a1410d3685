"""Routes for fields of value types (types without a usable `@key` where the field is
resolved): replay the root path in a subgraph that resolves it, or fetch the nearest enclosing
entity through `_entities` and re-walk the path below it there. Also the union members that
are safe to plan on a path other subgraphs could resolve too."""

from __future__ import annotations

from typing import Protocol

from graphql import FieldNode

from crm_gateway.composition.supergraph import KeyInfo, TypeInfo, TypeKind
from crm_gateway.planning.fetches import FetchGraph
from crm_gateway.planning.plan import Fetch
from crm_gateway.planning.scope import Anchor, Route, Where
from crm_gateway.planning.selection import SubSelection, print_arguments, print_directives


class KeyHops(Protocol):
    def key_hop(
        self,
        fetch: Fetch,
        selection: SubSelection,
        type_name: str,
        where: Where,
        choice: tuple[str, KeyInfo],
        *,
        tag: str = "",
    ) -> Fetch:
        """The `_entities` fetch to `choice`'s subgraph (with its key) for the objects of
        `type_name` at `where` in `fetch`."""
        ...


class Routes:
    def __init__(self, graph: FetchGraph, hops: KeyHops) -> None:
        self.graph = graph
        self.sg = graph.sg
        self.hops = hops

    def anchor_at(
        self,
        fetch: Fetch,
        selection: SubSelection,
        type_name: str,
        where: Where,
        *,
        outer: Anchor | None,
        lead: Route,
    ) -> Anchor | None:
        """An anchor for the object of `type_name` at `where` (None if it is no entity)."""
        info = self.sg.types.get(type_name)
        if info is None or info.kind is not TypeKind.OBJECT or not info.keys:
            return None
        return Anchor(fetch, selection, type_name, where, outer, lead)

    def walk(self, fetch: Fetch, selection: SubSelection, route: Route) -> SubSelection:
        """Add the client fields of `route` to `selection`; the selection at its end."""
        for route_parent, route_node in route:
            named = self.sg.field(route_parent, route_node.name.value).named_type
            key = route_node.alias.value if route_node.alias else route_node.name.value
            arguments = print_arguments(route_node.arguments, fetch.variables)
            directives = print_directives(route_node.directives, fetch.variables)
            sub = selection.add_field(key, route_node.name.value, arguments, directives, True)
            assert sub.selection is not None
            selection = sub.selection
            if self.sg.is_abstract(named):
                selection.add_typename()
        return selection

    def root_route(
        self, fetch: Fetch, parent_type: str, node: FieldNode, where: Where
    ) -> tuple[Fetch, SubSelection] | None:
        """For a field of a keyless (value) type under root fields: the root fetch of another
        subgraph that resolves the whole root path too, and the selection at the field's
        parent there (queries only: no side effects)."""
        info = self.sg.type(parent_type)
        field_info = info.fields[node.name.value]
        if where.route is None or self.graph.op_type != "query" or info.kind is not TypeKind.OBJECT:
            return None
        if any(info.resolvable_keys(t) for t in field_info.resolving_subgraphs()):
            return None
        for target in field_info.resolving_subgraphs():
            if target == fetch.subgraph or not self.resolves_route(target, where.route):
                continue
            root_fetch = self.graph.root_for(target)
            return root_fetch, self.walk(root_fetch, root_fetch.selection, where.route)
        return None

    def resolves_route(self, subgraph: str, route: Route) -> bool:
        return all(self.sg.field(p, f.name.value).resolvable_in(subgraph) for p, f in route)

    def _path_subgraphs(self, fetch: Fetch, where: Where) -> set[str]:
        """The other subgraphs that could resolve the objects at `where` as well: through the
        root path (queries) or through `_entities` on the nearest enclosing entity."""
        found: set[str] = set()
        if where.route is not None and self.graph.op_type == "query":
            found.update(s for s in self.sg.subgraphs if self.resolves_route(s, where.route))
        anchor = where.anchor
        if anchor is not None:
            info = self.sg.type(anchor.type_name)
            for subgraph in info.keys:
                if self.resolves_route(subgraph, where.below) and any(
                    self.graph.has_fields(info, anchor.fetch.subgraph, k.selection, anchor.where)
                    for k in info.resolvable_keys(subgraph)
                ):
                    found.add(subgraph)
        found.discard(fetch.subgraph)
        return found

    def safe_members(self, fetch: Fetch, union: str, where: Where) -> set[str]:
        """The members of a union whose fragments are planned: those the fetch's subgraph
        knows, and, when other subgraphs could resolve the same path (a shareable path), only
        the members they know too (the reference gateways' semantics: a member outside that
        intersection gets its fields as null)."""
        members = set(self.sg.possible_types_in(union, fetch.subgraph))
        if self.sg.type(union).kind is TypeKind.UNION:
            for subgraph in self._path_subgraphs(fetch, where):
                members &= set(self.sg.possible_types_in(union, subgraph))
        return members

    def _direct_key(self, fetch: Fetch, info: TypeInfo, name: str, where: Where) -> bool:
        """Does a subgraph that resolves `info.name` have a key `fetch` can supply itself?"""
        for target in info.fields[name].resolving_subgraphs():
            if target == fetch.subgraph:
                continue
            for key in info.resolvable_keys(target):
                if self.graph.has_fields(info, fetch.subgraph, key.selection, where):
                    return True
        return False

    def anchor_route(
        self, fetch: Fetch, info: TypeInfo, name: str, where: Where
    ) -> tuple[Fetch, SubSelection, Where] | None:
        """When no subgraph resolving `info.name` can be reached by key from `fetch`: an
        `_entities` fetch on the nearest enclosing entity that such a subgraph keys (with a key
        available where that entity was fetched), re-walking the client path below it. Returns
        the fetch, the selection of the object at `where` in it and the scope there."""
        if where.anchor is None or info.kind is not TypeKind.OBJECT:
            return None
        if self._direct_key(fetch, info, name, where):
            return None
        for target in info.fields[name].resolving_subgraphs():
            if target == fetch.subgraph:
                continue
            for anchor, route in where.anchor.chain(where.below):
                found = self._anchor_hop(anchor, route, target)
                if found is None:
                    continue
                child, selection = found
                inner = Where(
                    where.path, None, where.level, anchor=found_anchor(anchor, child), below=route
                )
                return child, self.walk(child, selection, route), inner
        return None

    def _anchor_hop(
        self, anchor: Anchor, route: Route, target: str
    ) -> tuple[Fetch, SubSelection] | None:
        """The `_entities` fetch to `target` for the anchor's objects (None when `target` has
        no usable key for them or does not resolve the route)."""
        anchor_info = self.sg.type(anchor.type_name)
        if self.sg.entity_typename(anchor.type_name, target) != anchor.type_name:
            return None
        if not self.resolves_route(target, route) or any(
            self.sg.is_abstract(self.sg.field(p, f.name.value).named_type) for p, f in route
        ):
            return None  # (a route through abstract fields would need type fragments)
        source = anchor.fetch.subgraph
        for key in anchor_info.resolvable_keys(target):
            if not self.graph.has_fields(anchor_info, source, key.selection, anchor.where):
                continue
            child = self.hops.key_hop(
                anchor.fetch, anchor.selection, anchor.type_name, anchor.where, (target, key)
            )
            return child, child.selection.fragment(anchor.type_name, "")
        return None


def found_anchor(anchor: Anchor, child: Fetch) -> Anchor:
    """The anchor's object as the hop `child` returns it."""
    selection = child.selection.fragment(anchor.type_name, "")
    where = Where(anchor.where.path, None, anchor.where.level)
    return Anchor(child, selection, anchor.type_name, where, anchor.outer, anchor.lead)
