"""Entity hops: `_entities` fetches for fields another subgraph resolves, the key (and
`@requires`) fields their representations need, and the concrete types of objects that a
subgraph returns as an `@interfaceObject`."""

from __future__ import annotations

import hashlib

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from crm_gateway.composition.supergraph import KeyInfo, TypeInfo, parse_field_set
from crm_gateway.planning.fetches import FetchGraph
from crm_gateway.planning.plan import Fetch, PathSegment, PlanningError, Template, merge_templates
from crm_gateway.planning.routes import Routes
from crm_gateway.planning.scope import Level, Where
from crm_gateway.planning.selection import SubSelection, print_arguments

Found = tuple[Template, set[int]]
"""A field set added to a fetch: its representation template, the fetches that provide it."""


class EntityHops:
    def __init__(self, graph: FetchGraph) -> None:
        self.graph = graph
        self.sg = graph.sg
        self.routes = Routes(graph, self)

    def entity_selection(self, child: Fetch, type_name: str) -> SubSelection:
        """The selection of `child` (an entity fetch) for its objects of `type_name`."""
        return child.selection.fragment(self.sg.entity_typename(type_name, child.subgraph), "")

    # ---- hops --------------------------------------------------------------------------

    def choose_key(
        self, fetch: Fetch, info: TypeInfo, field_name: str, where: Where, same: bool = False
    ) -> tuple[str, KeyInfo]:
        """The subgraph (and its key) to fetch `info.field_name` from, for objects of `fetch`."""
        fallback: tuple[str, KeyInfo] | None = None
        candidates = info.fields[field_name].resolving_subgraphs()
        if same:
            candidates = [fetch.subgraph]
        for target in candidates:
            if target == fetch.subgraph and not same:
                continue
            keys = info.resolvable_keys(target)
            for key in keys:
                if self.graph.has_fields(info, fetch.subgraph, key.selection, where):
                    return target, key
            if keys and fallback is None:
                fallback = (target, keys[0])
        if fallback is None:
            raise PlanningError(
                f'Cannot plan "{info.name}.{field_name}" from subgraph "{fetch.subgraph}": no '
                f'subgraph that resolves it has a resolvable @key on "{info.name}"'
            )
        return fallback

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
        `type_name` at `where` in `fetch`; the key fields are added to `fetch`."""
        target, key = choice
        child = self.graph.child(fetch, where.path, target, tag)
        template, deps = self.add_internal(fetch, selection, type_name, key.selection, where)
        selection.add_typename()
        merge_templates(child.templates.setdefault(type_name, {}), template)
        child.depends_on |= (deps | {fetch.id}) - {child.id}
        return child

    def entity_fetch(
        self,
        fetch: Fetch,
        selection: SubSelection,
        info: TypeInfo,
        field_name: str,
        where: Where,
        *,
        same: bool = False,
    ) -> Fetch:
        """The child fetch that resolves `info.field_name` for the objects at `where.path`."""
        pending = (fetch.id, where.path, info.name, field_name)
        if pending in self.graph.pending:  # its key needs itself: e.g. only @external keys
            raise PlanningError(
                f'Cannot plan "{info.name}.{field_name}" from subgraph "{fetch.subgraph}": no '
                f"subgraph that resolves it has a @key whose fields can be fetched first"
            )
        self.graph.pending.add(pending)
        try:
            return self._entity_fetch(fetch, selection, info, field_name, where, same=same)
        finally:
            self.graph.pending.discard(pending)

    def _entity_fetch(
        self,
        fetch: Fetch,
        selection: SubSelection,
        info: TypeInfo,
        field_name: str,
        where: Where,
        *,
        same: bool,
    ) -> Fetch:
        choice = self.choose_key(fetch, info, field_name, where, same)
        requires = info.fields[field_name].sources[choice[0]].requires
        required: Template = {}
        more: set[int] = set()
        if requires:
            wanted = parse_field_set(requires)
            required, more = self.add_internal(fetch, selection, info.name, wanted, where)
        # A field whose @requires needs other fetches first gets its own fetch (those fetches
        # may themselves go to the same subgraph, and a fetch cannot wait for itself).
        tag = ",".join(str(d) for d in sorted(more))
        if requires and "(" in requires:  # arguments: other fields may require other values
            tag += "|" + requires
        child = self.key_hop(fetch, selection, info.name, where, choice, tag=tag)
        merge_templates(child.templates[info.name], required)
        child.depends_on |= more - {child.id}
        alias = self.sg.entity_typename(info.name, choice[0])
        if alias != info.name:
            child.rep_typenames[info.name] = alias
        return child

    def interface_hop(
        self, fetch: Fetch, selection: SubSelection, interface: str, where: Where
    ) -> tuple[Fetch, SubSelection]:
        """Objects a subgraph returns as an @interfaceObject carry the interface's name as
        `__typename`; an entity fetch to a subgraph that knows the implementations turns them
        into their concrete types (and resolves fragments on those types)."""
        info = self.sg.type(interface)
        for target in info.subgraphs:
            if target in info.interface_object_in or target == fetch.subgraph:
                continue
            for key in info.resolvable_keys(target):
                if not self.graph.has_fields(info, fetch.subgraph, key.selection, where):
                    continue
                child = self.key_hop(fetch, selection, interface, where, (target, key))
                inner = child.selection.fragment(interface, "")
                inner.add_typename()
                return child, inner
        raise PlanningError(
            f'Cannot resolve the concrete type of @interfaceObject "{interface}" returned by '
            f'subgraph "{fetch.subgraph}": no other subgraph has a resolvable @key on it'
        )

    # ---- field sets (keys, @requires) --------------------------------------------------

    def add_internal(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        wanted: SelectionSetNode,
        where: Where,
    ) -> Found:
        """Fetch a field set (keys, @requires) for the objects at `where.path`; return its
        template and the ids of the fetches that provide it."""
        template: Template = {}
        deps: set[int] = set()
        info = self.sg.type(parent_type)
        for node in wanted.selections:
            if isinstance(node, InlineFragmentNode):
                found = self._internal_fragment(fetch, selection, info, node, where)
            elif not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            elif not self.graph.is_local(info, fetch.subgraph, node.name.value, where):
                found = self._internal_remote(fetch, selection, info, node, where)
            else:
                template[node.name.value], local_deps = self._internal_local(
                    fetch, selection, info, node, where
                )
                deps |= local_deps
                continue
            merge_templates(template, found[0])
            deps |= found[1]
        return template, deps

    def _internal_fragment(
        self,
        fetch: Fetch,
        selection: SubSelection,
        info: TypeInfo,
        node: InlineFragmentNode,
        where: Where,
    ) -> Found:
        """`... on T { f }` in a field set: fetched for the objects of type T."""
        parent_type = info.name
        condition = node.type_condition.name.value if node.type_condition else None
        if condition is None or condition == parent_type:
            runtimes = [(parent_type, selection)]
        elif not info.is_abstract:
            applies = parent_type in self.sg.possible_types(condition)
            runtimes = [(parent_type, selection)] if applies else []
        else:
            in_subgraph = self.sg.possible_types_in(parent_type, fetch.subgraph)
            runtimes = [
                (t, selection.fragment(t, ""))
                for t in self.sg.possible_types(condition)
                if t in in_subgraph
            ]
        template: Template = {}
        deps: set[int] = set()
        for runtime, target in runtimes:
            sub_template, sub_deps = self.add_internal(
                fetch, target, runtime, node.selection_set, where
            )
            merge_templates(template, sub_template)
            deps |= sub_deps
        return template, deps

    def _internal_remote(
        self, fetch: Fetch, selection: SubSelection, info: TypeInfo, node: FieldNode, where: Where
    ) -> Found:
        """A field of the set that `fetch`'s subgraph does not return: from another fetch."""
        name = node.name.value
        rerouted = self.routes.anchor_route(fetch, info, name, where)
        if rerouted is not None:
            child, target, inner = rerouted
        else:
            child = self.entity_fetch(fetch, selection, info, name, where)
            target = self.entity_selection(child, info.name)
            inner = Where(where.path, None, where.level)
        single = SelectionSetNode(selections=(node,))
        template, deps = self.add_internal(child, target, info.name, single, inner)
        return template, deps | {child.id}

    def _internal_local(
        self, fetch: Fetch, selection: SubSelection, info: TypeInfo, node: FieldNode, where: Where
    ) -> tuple[tuple[str, Template | None], set[int]]:
        """A field of the set that `fetch`'s subgraph returns, added under an internal key:
        its template entry (response key, nested template) and the fetches it needs."""
        name = node.name.value
        arguments = print_arguments(node.arguments, fetch.variables) if node.arguments else ""
        if arguments:  # e.g. @requires("price(currency: \"USD\")"): its own response key
            digest = hashlib.sha1(arguments.encode()).hexdigest()[:8]
            response_key = f"__gw_{name}_{digest}"
        else:
            response_key = where.level.internal_key(name)
        composite = node.selection_set is not None
        sub = selection.add_field(response_key, name, arguments, "", composite)
        if not composite or sub.selection is None or node.selection_set is None:
            return (response_key, None), set()
        named = info.fields[name].named_type
        if self.sg.is_abstract(named):
            sub.selection.add_typename()
        inner = Where(
            (*where.path, PathSegment(response_key, self.graph.type_filter(info.name))),
            where.provided_below(name, info.name),
            where.level.child(name) if response_key == name else Level([], {}),
        )
        nested, deps = self.add_internal(fetch, sub.selection, named, node.selection_set, inner)
        return (response_key, nested), deps
