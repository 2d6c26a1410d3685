"""The walk over the client operation: root fields to root fetches, each field to the fetch
whose subgraph returns it (an entity hop, a route for a value type, or the fetch it is in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)

from crm_gateway.composition.supergraph import TypeInfo, named_type_of, parse_field_set
from crm_gateway.planning.entities import EntityHops
from crm_gateway.planning.fetches import FetchGraph
from crm_gateway.planning.global_ids import GlobalIds
from crm_gateway.planning.plan import INTROSPECTION_FIELDS, Fetch, PathSegment, PlanningError
from crm_gateway.planning.scope import Level, Where, provided_from
from crm_gateway.planning.scoring import LocalScore
from crm_gateway.planning.selection import SubSelection, print_arguments, print_directives

Wrappers = tuple[tuple[str, dict[str, None], tuple[DirectiveNode, ...]], ...]
"""Directives of the fragments around root fields (printed, with the variables they use, and
as the operation has them)."""


class FieldPlanner:
    def __init__(self, graph: FetchGraph, hops: EntityHops) -> None:
        self.graph = graph
        self.sg = graph.sg
        self.hops = hops
        self.routes = hops.routes
        self.score = LocalScore(graph.sg, graph.fragments)
        self.global_ids = GlobalIds(graph, hops)

    # ---- root fields -------------------------------------------------------------------

    def plan_operation(self) -> None:
        root = self.sg.root_types.get(self.graph.op_type)
        if root is None:
            raise PlanningError(f"The schema has no {self.graph.op_type} type")
        operation = self.graph.operation
        level = Level([operation.selection_set], self.graph.fragments)
        self._plan_root(root, operation.selection_set.selections, (), level)

    def _root_fetch(self, root: str, node: FieldNode) -> Fetch:
        name = node.name.value
        candidates = self.sg.field(root, name).resolving_subgraphs()
        if not candidates:
            raise PlanningError(f'No subgraph resolves "{root}.{name}"')
        if len(candidates) > 1 and node.selection_set is not None:
            # prefer the subgraphs that resolve most of the selection themselves
            scores = {c: self.score.score(c, root, node, None) for c in candidates}
            best = max(scores.values())
            candidates = [c for c in candidates if scores[c] == best]
        roots = self.graph.roots
        fetch: Fetch | None = None
        if self.graph.op_type == "mutation":  # in order: only the last root fetch is shared
            if roots and roots[-1].subgraph in candidates:
                fetch = roots[-1]
        else:
            fetch = next((r for r in roots if r.subgraph in candidates), None)
        return fetch if fetch is not None else self.graph.new_root(candidates[0])

    def _plan_root(
        self, root: str, selections: Sequence[SelectionNode], wrappers: Wrappers, level: Level
    ) -> None:
        for node in selections:
            if isinstance(node, FieldNode):
                self._plan_root_field(root, node, wrappers, level)
                continue
            if isinstance(node, InlineFragmentNode):
                sub_selections = node.selection_set.selections
            elif isinstance(node, FragmentSpreadNode):
                sub_selections = self.graph.fragments[node.name.value].selection_set.selections
            else:
                continue
            found: dict[str, None] = {}
            directives = print_directives(node.directives, found)
            raw = tuple(node.directives or ())
            inner = (*wrappers, (directives, found, raw)) if directives else wrappers
            self._plan_root(root, sub_selections, inner, level)

    def _plan_root_field(
        self, root: str, node: FieldNode, wrappers: Wrappers, level: Level
    ) -> None:
        name = node.name.value
        if name == "__typename":
            return
        if name in INTROSPECTION_FIELDS:
            self.graph.has_introspection = True
            return
        if self.global_ids.is_lookup(root, name) and node.selection_set is not None:
            conditions = (*(d for *_, nodes in wrappers for d in nodes), *(node.directives or ()))
            for child, target, type_name, where in self.global_ids.lookup(node, conditions, level):
                self.plan_selections(child, target, type_name, node.selection_set.selections, where)
            return
        fetch = self._root_fetch(root, node)
        selection = fetch.selection
        for directives, variables, _ in wrappers:
            selection = selection.fragment("", directives)
            fetch.variables.update(variables)
        self.plan_field(fetch, selection, root, node, Where((), None, level, route=()))

    # ---- selections --------------------------------------------------------------------

    def plan_selections(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        nodes: Sequence[SelectionNode],
        where: Where,
    ) -> None:
        for node in nodes:
            if isinstance(node, FieldNode):
                self.plan_field(fetch, selection, parent_type, node, where)
            elif isinstance(node, InlineFragmentNode | FragmentSpreadNode):
                self._plan_fragment(fetch, selection, parent_type, node, where)

    def _plan_fragment(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        node: InlineFragmentNode | FragmentSpreadNode,
        where: Where,
    ) -> None:
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            sub_nodes = node.selection_set.selections
        else:
            fragment = self.graph.fragments[node.name.value]
            condition = fragment.type_condition.name.value
            sub_nodes = fragment.selection_set.selections
        abstract = self.sg.is_abstract(parent_type)
        if condition in (None, parent_type) or not abstract:
            if condition in (None, parent_type) or parent_type in self.sg.possible_types(
                str(condition)
            ):
                directives = print_directives(node.directives, fetch.variables)
                target = selection.fragment("", directives) if directives else selection
                self.plan_selections(fetch, target, parent_type, sub_nodes, where)
            return  # (otherwise a fragment that can never apply to this object type)
        directives = print_directives(node.directives, fetch.variables)
        assert condition is not None
        if self.sg.is_interface_object_in(parent_type, fetch.subgraph):
            if not self.sg.possible_types(parent_type):
                return  # no implementations anywhere: the fragment never applies
            # the subgraph knows no implementations: plan the fragment where they are known
            child, target = self.hops.interface_hop(fetch, selection, parent_type, where)
            inner = Where(where.path, None, where.level)
            self.plan_selections(child, target, parent_type, (node,), inner)
            return
        in_subgraph = self.routes.safe_members(fetch, parent_type, where)
        for runtime in self.sg.possible_types(condition):
            if runtime in in_subgraph:
                target = selection.fragment(runtime, directives)
                self.plan_selections(fetch, target, runtime, sub_nodes, where)

    # ---- fields ------------------------------------------------------------------------

    def plan_field(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        node: FieldNode,
        where: Where,
    ) -> None:
        name = node.name.value
        if name == "__typename" or name in INTROSPECTION_FIELDS:
            return
        if self.global_ids.is_node_id(parent_type, name):
            self.global_ids.node_id(fetch, selection, parent_type, node, where)
            return
        info = self.sg.type(parent_type)
        if not self._returns(fetch, info, name, where):
            self._plan_remote(fetch, selection, info, node, where)
        elif self._needs_requires_hop(fetch, info, name, where):
            # a @requires field is only resolvable through `_entities`, with the required
            # fields in the representation, even from its own subgraph
            child = self.hops.entity_fetch(fetch, selection, info, name, where, same=True)
            target = self.hops.entity_selection(child, parent_type)
            inner = Where(where.path, None, where.level, name)
            self.plan_field(child, target, parent_type, node, inner)
        else:
            self._plan_local(fetch, selection, info, node, where)

    def _returns(self, fetch: Fetch, info: TypeInfo, name: str, where: Where) -> bool:
        """Does `fetch`'s subgraph return the field here? An interface field is only as local
        as it is on every implementation there (one may have moved it with @override)."""
        if not self.graph.is_local(info, fetch.subgraph, name, where):
            return False
        if not info.is_abstract or fetch.subgraph in info.interface_object_in:
            return True
        if where.has(name, info.name):
            return True
        for runtime in self.sg.possible_types_in(info.name, fetch.subgraph):
            concrete = self.sg.type(runtime).fields.get(name)
            if concrete is not None and not concrete.resolvable_in(fetch.subgraph):
                return False
        return True

    def _needs_requires_hop(self, fetch: Fetch, info: TypeInfo, name: str, where: Where) -> bool:
        source = info.fields[name].sources.get(fetch.subgraph)
        return (
            source is not None
            and bool(source.requires)
            and where.satisfied != name
            and not where.has(name, info.name)
            and info.name not in self.sg.root_type_names()
        )

    def _plan_remote(
        self, fetch: Fetch, selection: SubSelection, info: TypeInfo, node: FieldNode, where: Where
    ) -> None:
        """A field `fetch`'s subgraph does not return: per implementation, through a route
        for a value type, or through an entity hop."""
        parent_type = info.name
        if info.is_abstract and fetch.subgraph not in info.interface_object_in:
            runtimes = self.sg.possible_types_in(parent_type, fetch.subgraph)
            if not runtimes:
                raise PlanningError(
                    f'Cannot plan "{parent_type}.{node.name.value}" from subgraph '
                    f'"{fetch.subgraph}": it knows no type implementing {parent_type}'
                )
            for runtime in runtimes:
                self.plan_field(fetch, selection.fragment(runtime, ""), runtime, node, where)
            return
        rerouted = self.routes.root_route(fetch, parent_type, node, where)
        if rerouted is not None:
            self.plan_field(*rerouted, parent_type, node, where)
            return
        anchored = self.routes.anchor_route(fetch, info, node.name.value, where)
        if anchored is not None:
            child, target, inner = anchored
            self.plan_field(child, target, parent_type, node, inner)
            return
        child = self.hops.entity_fetch(fetch, selection, info, node.name.value, where)
        target = self.hops.entity_selection(child, parent_type)
        inner = Where(where.path, None, where.level, node.name.value)
        if self.sg.entity_typename(parent_type, child.subgraph) == parent_type:
            anchor = self.routes.anchor_at(
                child, target, parent_type, inner, outer=where.anchor, lead=where.below
            )
            inner = replace(inner, anchor=anchor)
        self.plan_field(child, target, parent_type, node, inner)

    def _plan_local(
        self, fetch: Fetch, selection: SubSelection, info: TypeInfo, node: FieldNode, where: Where
    ) -> None:
        """A field `fetch`'s subgraph returns: added to its selection, then its selections."""
        name = node.name.value
        field_info = info.fields[name]
        response_key = node.alias.value if node.alias else name
        arguments = print_arguments(node.arguments, fetch.variables)
        directives = print_directives(node.directives, fetch.variables)
        named = field_info.named_type
        source = field_info.sources.get(fetch.subgraph)
        if source is not None and source.type != field_info.type:
            # the subgraph declares a narrower type (e.g. an object where the supergraph has
            # a union): plan the selections against what the subgraph knows
            local_named = named_type_of(source.type)
            if local_named in self.sg.types:
                named = local_named
        composite = self.sg.is_composite(named)
        sub = selection.add_field(response_key, name, arguments, directives, composite)
        if not composite or sub.selection is None or node.selection_set is None:
            return
        if self.sg.is_abstract(named) or self.sg.is_abstract(field_info.named_type):
            sub.selection.add_typename()
        inner = self._inner(fetch, sub.selection, info, node, where, named=named)
        self.plan_selections(fetch, sub.selection, named, node.selection_set.selections, inner)
        if self.sg.is_interface_object_in(named, fetch.subgraph) and self.sg.possible_types(named):
            self.hops.interface_hop(fetch, sub.selection, named, inner)  # for the concrete type

    def _inner(
        self,
        fetch: Fetch,
        selection: SubSelection,
        info: TypeInfo,
        node: FieldNode,
        where: Where,
        *,
        named: str,
    ) -> Where:
        """The scope below a field `fetch` returns (its object of type `named`)."""
        name = node.name.value
        response_key = node.alias.value if node.alias else name
        sub_provided = where.provided_below(name, info.name)
        source = info.fields[name].sources.get(fetch.subgraph)
        if source is not None and source.provides:
            sub_provided = provided_from(parse_field_set(source.provides), dict(sub_provided or {}))
        segment = PathSegment(response_key, self.graph.type_filter(info.name))
        route = (*where.route, (info.name, node)) if where.route is not None else None
        # the nearest entity object above and the client fields below it (`planning.routes`)
        below = (*where.below, (info.name, node))
        inner = Where(
            (*where.path, segment),
            sub_provided,
            where.level.child(response_key),
            route=route,
            anchor=where.anchor,
            below=below,
        )
        anchor = self.routes.anchor_at(
            fetch, selection, named, inner, outer=where.anchor, lead=below
        )
        return inner if anchor is None else replace(inner, anchor=anchor, below=())
