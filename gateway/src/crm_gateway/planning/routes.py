"""Planner routes for fields of value types (types without a usable `@key` where the field is
resolved): replay the root path in a subgraph that resolves it, or fetch the nearest enclosing
entity through `_entities` and re-walk the path below it there."""

from __future__ import annotations

from abc import ABC, abstractmethod

from graphql import FieldNode, SelectionSetNode

from crm_gateway.composition.supergraph import TypeInfo, TypeKind
from crm_gateway.planning.fetches import FetchGraph
from crm_gateway.planning.plan import Fetch, Template, merge_templates
from crm_gateway.planning.scope import Anchor, Route, Where
from crm_gateway.planning.selection import SubSelection, print_arguments, print_directives


class Rerouting(FetchGraph, ABC):
    @abstractmethod
    def _plan_field(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        node: FieldNode,
        where: Where,
    ) -> None: ...

    @abstractmethod
    def _add_internal(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        wanted: SelectionSetNode,
        where: Where,
    ) -> tuple[Template, set[int]]: ...

    def _anchor_at(
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

    def _walk(self, fetch: Fetch, selection: SubSelection, route: Route) -> SubSelection:
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

    def _route_elsewhere(
        self, fetch: Fetch, parent_type: str, node: FieldNode, where: Where
    ) -> bool:
        """For a field of a keyless (value) type under root fields: fetch it from another
        subgraph that resolves the whole root path too (queries only: no side effects)."""
        info = self.sg.type(parent_type)
        field_info = info.fields[node.name.value]
        if where.route is None or self.op_type != "query" or info.kind is not TypeKind.OBJECT:
            return False
        if any(info.resolvable_keys(t) for t in field_info.resolving_subgraphs()):
            return False
        for target in field_info.resolving_subgraphs():
            if target == fetch.subgraph or not self._resolves_route(target, where.route):
                continue
            root_fetch = next((r for r in self.roots if r.subgraph == target), None)
            if root_fetch is None:
                root_fetch = self._new_fetch(target, (), None)
                self.roots.append(root_fetch)
            selection = self._walk(root_fetch, root_fetch.selection, where.route)
            self._plan_field(root_fetch, selection, parent_type, node, where)
            return True
        return False

    def _resolves_route(self, subgraph: str, route: Route) -> bool:
        return all(self.sg.field(p, f.name.value).resolvable_in(subgraph) for p, f in route)

    def _path_subgraphs(self, fetch: Fetch, where: Where) -> set[str]:
        """The other subgraphs that could resolve the objects at `where` as well: through the
        root path (queries) or through `_entities` on the nearest enclosing entity."""
        found: set[str] = set()
        if where.route is not None and self.op_type == "query":
            found.update(s for s in self.sg.subgraphs if self._resolves_route(s, where.route))
        anchor = where.anchor
        if anchor is not None:
            info = self.sg.type(anchor.type_name)
            for subgraph in info.keys:
                if self._resolves_route(subgraph, where.below) and any(
                    self._locally_available(info, anchor.fetch.subgraph, k.selection, anchor.where)
                    for k in info.resolvable_keys(subgraph)
                ):
                    found.add(subgraph)
        found.discard(fetch.subgraph)
        return found

    def _safe_members(self, fetch: Fetch, union: str, where: Where) -> set[str]:
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
                if self._locally_available(info, fetch.subgraph, key.selection, where):
                    return True
        return False

    def _anchor_route(
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
                return child, self._walk(child, selection, route), inner
        return None

    def _anchor_hop(
        self, anchor: Anchor, route: Route, target: str
    ) -> tuple[Fetch, SubSelection] | None:
        """The `_entities` fetch to `target` for the anchor's objects (None when `target` has
        no usable key for them or does not resolve the route)."""
        anchor_info = self.sg.type(anchor.type_name)
        if self.sg.entity_typename(anchor.type_name, target) != anchor.type_name:
            return None
        if not self._resolves_route(target, route) or any(
            self.sg.is_abstract(self.sg.field(p, f.name.value).named_type) for p, f in route
        ):
            return None  # (a route through abstract fields would need type fragments)
        source = anchor.fetch.subgraph
        for key in anchor_info.resolvable_keys(target):
            if not self._locally_available(anchor_info, source, key.selection, anchor.where):
                continue
            child = self._child(anchor.fetch, anchor.where.path, target)
            template, deps = self._add_internal(
                anchor.fetch, anchor.selection, anchor.type_name, key.selection, anchor.where
            )
            anchor.selection.add_typename()
            merge_templates(child.templates.setdefault(anchor.type_name, {}), template)
            child.depends_on |= (deps | {anchor.fetch.id}) - {child.id}
            return child, child.selection.fragment(anchor.type_name, "")
        return None

    def _anchor_field(self, fetch: Fetch, parent_type: str, node: FieldNode, where: Where) -> bool:
        """Plan a client field through `_anchor_route`; False when there is no such route."""
        found = self._anchor_route(fetch, self.sg.type(parent_type), node.name.value, where)
        if found is None:
            return False
        child, target, inner = found
        self._plan_field(child, target, parent_type, node, inner)
        return True


def found_anchor(anchor: Anchor, child: Fetch) -> Anchor:
    """The anchor's object as the hop `child` returns it."""
    selection = child.selection.fragment(anchor.type_name, "")
    where = Where(anchor.where.path, None, anchor.where.level)
    return Anchor(child, selection, anchor.type_name, where, anchor.outer, anchor.lead)
