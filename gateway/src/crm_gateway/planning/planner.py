"""Query planning: split a client operation into subgraph fetches.

A plan is a graph of `Fetch`es. Root fields go to a subgraph that resolves them (root fields of
one subgraph share one fetch; mutation fields keep their order). A field the current subgraph
cannot resolve becomes part of an entity fetch: one `_entities` request per (parent fetch,
response path, subgraph), holding every object found at that path, lists included. The parent
fetch adds the key fields (and `@requires` fields) the representations need; a fetch depends on
the fetches that provide them, so independent fetches run concurrently and nested hops become
further steps. `@skip`/`@include` are forwarded to subgraphs, so a plan does not depend on
variable values and can be cached per document and operation name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
)

from crm_gateway.composition.supergraph import (
    KeyInfo,
    Supergraph,
    TypeInfo,
    named_type_of,
    parse_field_set,
)
from crm_gateway.planning.plan import (
    INTROSPECTION_FIELDS,
    Fetch,
    PathSegment,
    PlanningError,
    QueryPlan,
    Template,
    merge_templates,
)
from crm_gateway.planning.routes import Rerouting
from crm_gateway.planning.scope import Level, Where, provided_from
from crm_gateway.planning.selection import SubSelection, print_arguments, print_directives


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph

    def plan(
        self, operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> QueryPlan:
        return _Builder(self.supergraph, operation, fragments).build()


class _Builder(Rerouting):
    def build(self) -> QueryPlan:
        op_type = self.op_type
        root = self.sg.root_types.get(op_type)
        if root is None:
            raise PlanningError(f"The schema has no {op_type} type")
        level = Level([self.operation.selection_set], self.fragments)
        self._plan_root(root, self.operation.selection_set.selections, (), level)
        if op_type == "mutation":
            fetch_steps = [[r, *r.descendants()] for r in self.roots]
        else:
            fetch_steps = [list(self.fetches)] if self.fetches else []
        steps = [self._batch(step) for step in fetch_steps]
        return QueryPlan(
            op_type,
            root,
            steps,
            self.fetches,
            self.operation,
            self.fragments,
            self.has_introspection,
        )

    def _root_fetch(self, root: str, node: FieldNode) -> Fetch:
        name = node.name.value
        candidates = self.sg.field(root, name).resolving_subgraphs()
        if not candidates:
            raise PlanningError(f'No subgraph resolves "{root}.{name}"')
        if len(candidates) > 1 and node.selection_set is not None:
            # prefer the subgraphs that resolve most of the selection themselves
            scores = {c: self._local_score(c, root, node, None) for c in candidates}
            best = max(scores.values())
            candidates = [c for c in candidates if scores[c] == best]
        fetch: Fetch | None = None
        if self.op_type == "mutation":
            if self.roots and self.roots[-1].subgraph in candidates:
                fetch = self.roots[-1]
        else:
            fetch = next((r for r in self.roots if r.subgraph in candidates), None)
        if fetch is None:
            fetch = self._new_fetch(candidates[0], (), None)
            self.roots.append(fetch)
        return fetch

    def _plan_root(
        self,
        root: str,
        selections: Sequence[SelectionNode],
        wrappers: tuple[tuple[str, dict[str, None]], ...],
        level: Level,
    ) -> None:
        for node in selections:
            if isinstance(node, FieldNode):
                name = node.name.value
                if name == "__typename":
                    continue
                if name in INTROSPECTION_FIELDS:
                    self.has_introspection = True
                    continue
                fetch = self._root_fetch(root, node)
                selection = fetch.selection
                for directives, variables in wrappers:
                    selection = selection.fragment("", directives)
                    fetch.variables.update(variables)
                self._plan_field(fetch, selection, root, node, Where((), None, level, route=()))
                continue
            if isinstance(node, InlineFragmentNode):
                sub_selections = node.selection_set.selections
            elif isinstance(node, FragmentSpreadNode):
                sub_selections = self.fragments[node.name.value].selection_set.selections
            else:
                continue
            found: dict[str, None] = {}
            directives = print_directives(node.directives, found)
            inner = (*wrappers, (directives, found)) if directives else wrappers
            self._plan_root(root, sub_selections, inner, level)

    # ---- selections --------------------------------------------------------------------

    def _plan_selections(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        nodes: Sequence[SelectionNode],
        where: Where,
    ) -> None:
        for node in nodes:
            if isinstance(node, FieldNode):
                self._plan_field(fetch, selection, parent_type, node, where)
                continue
            if isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else None
                sub_nodes = node.selection_set.selections
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                condition = fragment.type_condition.name.value
                sub_nodes = fragment.selection_set.selections
            else:
                continue
            if (
                condition not in (None, parent_type)
                and not self.sg.is_abstract(parent_type)
                and parent_type not in self.sg.possible_types(str(condition))
            ):
                continue  # a fragment that can never apply to this object type
            directives = print_directives(node.directives, fetch.variables)
            if condition in (None, parent_type) or not self.sg.is_abstract(parent_type):
                target = selection.fragment("", directives) if directives else selection
                self._plan_selections(fetch, target, parent_type, sub_nodes, where)
                continue
            assert condition is not None
            if self.sg.is_interface_object_in(parent_type, fetch.subgraph):
                if not self.sg.possible_types(parent_type):
                    continue  # no implementations anywhere: the fragment never applies
                # the subgraph knows no implementations: plan the fragment where they are known
                child, target = self._interface_hop(fetch, selection, parent_type, where)
                self._plan_selections(
                    child, target, parent_type, (node,), Where(where.path, None, where.level)
                )
                continue
            in_subgraph = self._safe_members(fetch, parent_type, where)
            for runtime in self.sg.possible_types(condition):
                if runtime in in_subgraph:
                    target = selection.fragment(runtime, directives)
                    self._plan_selections(fetch, target, runtime, sub_nodes, where)

    def _plan_field(
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
        info = self.sg.type(parent_type)
        field_info = info.fields[name]
        local = self._local(info, fetch.subgraph, name, where)
        if (
            local
            and info.is_abstract
            and fetch.subgraph not in info.interface_object_in
            and not where.has(name, parent_type)
        ):
            # an interface field is only as local as it is on every implementation there
            # (one of them may have moved it elsewhere with @override)
            for runtime in self.sg.possible_types_in(parent_type, fetch.subgraph):
                concrete = self.sg.type(runtime).fields.get(name)
                if concrete is not None and not concrete.resolvable_in(fetch.subgraph):
                    local = False
                    break
        source = field_info.sources.get(fetch.subgraph)
        if (
            local
            and source is not None
            and source.requires
            and where.satisfied != name
            and not where.has(name, parent_type)
            and parent_type not in self.sg.root_type_names()
        ):
            # a @requires field is only resolvable through `_entities`, with the required
            # fields in the representation, even from its own subgraph
            child = self._entity_fetch(fetch, selection, info, name, where, same=True)
            target = child.selection.fragment(
                self.sg.entity_typename(parent_type, child.subgraph), ""
            )
            inner = Where(where.path, None, where.level, name)
            self._plan_field(child, target, parent_type, node, inner)
            return
        if not local and info.is_abstract and fetch.subgraph not in info.interface_object_in:
            runtimes = self.sg.possible_types_in(parent_type, fetch.subgraph)
            if not runtimes:
                raise PlanningError(
                    f'Cannot plan "{parent_type}.{name}" from subgraph "{fetch.subgraph}": '
                    f"it knows no type implementing {parent_type}"
                )
            for runtime in runtimes:
                target = selection.fragment(runtime, "")
                self._plan_field(fetch, target, runtime, node, where)
            return
        if not local and self._route_elsewhere(fetch, parent_type, node, where):
            return
        if not local and self._anchor_field(fetch, parent_type, node, where):
            return
        if not local:
            child = self._entity_fetch(fetch, selection, info, name, where)
            target = child.selection.fragment(
                self.sg.entity_typename(parent_type, child.subgraph), ""
            )
            inner = Where(where.path, None, where.level, name)
            if self.sg.entity_typename(parent_type, child.subgraph) == parent_type:
                anchor = self._anchor_at(
                    child, target, parent_type, inner, outer=where.anchor, lead=where.below
                )
                inner = replace(inner, anchor=anchor)
            self._plan_field(child, target, parent_type, node, inner)
            return
        response_key = node.alias.value if node.alias else name
        arguments = print_arguments(node.arguments, fetch.variables)
        directives = print_directives(node.directives, fetch.variables)
        named = field_info.named_type
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
        sub_provided = where.provided_below(name, parent_type)
        source = field_info.sources.get(fetch.subgraph)
        if source is not None and source.provides:
            sub_provided = provided_from(parse_field_set(source.provides), dict(sub_provided or {}))
        segment = PathSegment(response_key, self._type_filter(parent_type))
        route = (*where.route, (parent_type, node)) if where.route is not None else None
        # the nearest entity object above and the client fields below it (`planning.routes`)
        below = (*where.below, (parent_type, node))
        inner = Where(
            (*where.path, segment),
            sub_provided,
            where.level.child(response_key),
            route=route,
            anchor=where.anchor,
            below=below,
        )
        anchor = self._anchor_at(fetch, sub.selection, named, inner, outer=where.anchor, lead=below)
        if anchor is not None:
            inner = replace(inner, anchor=anchor, below=())
        self._plan_selections(fetch, sub.selection, named, node.selection_set.selections, inner)
        if self.sg.is_interface_object_in(named, fetch.subgraph) and self.sg.possible_types(named):
            self._interface_hop(fetch, sub.selection, named, inner)  # for the concrete type

    # ---- entity hops -------------------------------------------------------------------

    def _choose_key(
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
                if self._locally_available(info, fetch.subgraph, key.selection, where):
                    return target, key
            if keys and fallback is None:
                fallback = (target, keys[0])
        if fallback is None:
            raise PlanningError(
                f'Cannot plan "{info.name}.{field_name}" from subgraph "{fetch.subgraph}": no '
                f'subgraph that resolves it has a resolvable @key on "{info.name}"'
            )
        return fallback

    def _entity_fetch(
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
        if pending in self.pending:  # its key needs itself: e.g. only @external key fields
            raise PlanningError(
                f'Cannot plan "{info.name}.{field_name}" from subgraph "{fetch.subgraph}": no '
                f"subgraph that resolves it has a @key whose fields can be fetched first"
            )
        self.pending.add(pending)
        try:
            return self._entity_fetch_for(fetch, selection, info, field_name, where, same=same)
        finally:
            self.pending.discard(pending)

    def _entity_fetch_for(
        self,
        fetch: Fetch,
        selection: SubSelection,
        info: TypeInfo,
        field_name: str,
        where: Where,
        *,
        same: bool,
    ) -> Fetch:
        target, key = self._choose_key(fetch, info, field_name, where, same)
        requires = info.fields[field_name].sources[target].requires
        required: Template = {}
        more: set[int] = set()
        if requires:
            wanted = parse_field_set(requires)
            required, more = self._add_internal(fetch, selection, info.name, wanted, where)
        # A field whose @requires needs other fetches first gets its own fetch (those fetches
        # may themselves go to `target`, and a fetch cannot wait for itself).
        tag = ",".join(str(d) for d in sorted(more))
        if requires and "(" in requires:  # arguments: other fields may require other values
            tag += "|" + requires
        child = self._child(fetch, where.path, target, tag)
        template, deps = self._add_internal(fetch, selection, info.name, key.selection, where)
        merge_templates(template, required)
        deps |= more
        selection.add_typename()
        merge_templates(child.templates.setdefault(info.name, {}), template)
        alias = self.sg.entity_typename(info.name, target)
        if alias != info.name:
            child.rep_typenames[info.name] = alias
        child.depends_on |= (deps | {fetch.id}) - {child.id}
        return child

    def _interface_hop(
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
                if not self._locally_available(info, fetch.subgraph, key.selection, where):
                    continue
                child = self._child(fetch, where.path, target)
                template, deps = self._add_internal(
                    fetch, selection, interface, key.selection, where
                )
                selection.add_typename()
                merge_templates(child.templates.setdefault(interface, {}), template)
                child.depends_on |= (deps | {fetch.id}) - {child.id}
                inner = child.selection.fragment(interface, "")
                inner.add_typename()
                return child, inner
        raise PlanningError(
            f'Cannot resolve the concrete type of @interfaceObject "{interface}" returned by '
            f'subgraph "{fetch.subgraph}": no other subgraph has a resolvable @key on it'
        )

    def _add_internal(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        wanted: SelectionSetNode,
        where: Where,
    ) -> tuple[Template, set[int]]:
        """Fetch a field set (keys, @requires) for the objects at `where.path`; return its
        template and the ids of the fetches that provide it."""
        template: Template = {}
        deps: set[int] = set()
        info = self.sg.type(parent_type)
        for node in wanted.selections:
            if isinstance(node, InlineFragmentNode):
                # `... on T { f }` in a field set: fetched for the objects of type T
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
                for runtime, target in runtimes:
                    sub_template, sub_deps = self._add_internal(
                        fetch, target, runtime, node.selection_set, where
                    )
                    merge_templates(template, sub_template)
                    deps |= sub_deps
                continue
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            name = node.name.value
            field_info = info.fields[name]
            if not self._local(info, fetch.subgraph, name, where):
                rerouted = self._anchor_route(fetch, info, name, where)
                if rerouted is not None:
                    child, target, inner = rerouted
                else:
                    child = self._entity_fetch(fetch, selection, info, name, where)
                    target = child.selection.fragment(
                        self.sg.entity_typename(parent_type, child.subgraph), ""
                    )
                    inner = Where(where.path, None, where.level)
                single = SelectionSetNode(selections=(node,))
                sub_template, sub_deps = self._add_internal(
                    child, target, parent_type, single, inner
                )
                merge_templates(template, sub_template)
                deps |= sub_deps | {child.id}
                continue
            arguments = print_arguments(node.arguments, fetch.variables) if node.arguments else ""
            if arguments:  # e.g. @requires("price(currency: \"USD\")"): its own response key
                digest = hashlib.sha1(arguments.encode()).hexdigest()[:8]
                response_key = f"__gw_{name}_{digest}"
            else:
                response_key = where.level.internal_key(name)
            composite = node.selection_set is not None
            sub = selection.add_field(response_key, name, arguments, "", composite)
            nested: Template | None = None
            if composite and sub.selection is not None and node.selection_set is not None:
                named = field_info.named_type
                if self.sg.is_abstract(named):
                    sub.selection.add_typename()
                inner = Where(
                    (*where.path, PathSegment(response_key, self._type_filter(parent_type))),
                    where.provided_below(name, parent_type),
                    where.level.child(name) if response_key == name else Level([], {}),
                )
                nested, sub_deps = self._add_internal(
                    fetch, sub.selection, named, node.selection_set, inner
                )
                deps |= sub_deps
            template[name] = (response_key, nested)
        return template, deps
