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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    print_ast,
)

from crm_gateway.plan import (
    INTROSPECTION_FIELDS,
    Batch,
    Fetch,
    PathSegment,
    PlanningError,
    QueryPlan,
    Template,
    merge_templates,
)
from crm_gateway.selection import SubSelection, print_arguments, print_directives
from crm_gateway.supergraph import KeyInfo, Supergraph, TypeInfo, parse_field_set

Provided = dict[str, "Provided"]


class _Level:
    """The client's selections for one object, to pick response keys for internal fields."""

    def __init__(
        self,
        selection_sets: Sequence[SelectionSetNode],
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self._sets = selection_sets
        self._fragments = fragments

    @cached_property
    def fields(self) -> dict[str, list[FieldNode]]:
        found: dict[str, list[FieldNode]] = {}
        stack: list[SelectionNode] = [s for ss in self._sets for s in ss.selections]
        seen_fragments: set[str] = set()
        while stack:
            node = stack.pop()
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                found.setdefault(key, []).append(node)
            elif isinstance(node, InlineFragmentNode):
                stack.extend(node.selection_set.selections)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen_fragments:
                seen_fragments.add(node.name.value)
                fragment = self._fragments.get(node.name.value)
                if fragment is not None:
                    stack.extend(fragment.selection_set.selections)
        return found

    def child(self, response_key: str) -> _Level:
        sets = [n.selection_set for n in self.fields.get(response_key, []) if n.selection_set]
        return _Level(sets, self._fragments)

    def internal_key(self, name: str) -> str:
        nodes = self.fields.get(name)
        if not nodes or all(n.name.value == name and not n.arguments for n in nodes):
            return name
        return f"__gw_{name}"


def provided_from(selection: SelectionSetNode, into: Provided | None = None) -> Provided:
    result: Provided = {} if into is None else into
    for node in selection.selections:
        if isinstance(node, FieldNode):
            nested = result.setdefault(node.name.value, {})
            if node.selection_set is not None:
                provided_from(node.selection_set, nested)
        elif isinstance(node, InlineFragmentNode):
            provided_from(node.selection_set, result)
    return result


@dataclass(frozen=True, slots=True)
class _Where:
    """Where the planner is: response path, fields a @provides makes local, client level."""

    path: tuple[PathSegment, ...]
    provided: Provided | None
    level: _Level

    def has(self, name: str) -> bool:
        return self.provided is not None and name in self.provided


class Planner:
    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph

    def plan(self, document: DocumentNode, operation: OperationDefinitionNode) -> QueryPlan:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        return _Builder(self.supergraph, operation, fragments).build()


class _Builder:
    def __init__(
        self,
        supergraph: Supergraph,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self.sg = supergraph
        self.operation = operation
        self.fragments = fragments
        self.fetches: list[Fetch] = []
        self.children: dict[tuple[int, tuple[PathSegment, ...], str], Fetch] = {}
        self.has_introspection = False
        self.op_type = operation.operation.value
        self.roots: list[Fetch] = []
        self.batch_count = 0
        self.variable_definitions = {
            v.variable.name.value: print_ast(v) for v in operation.variable_definitions or ()
        }

    # ---- fetch creation ----------------------------------------------------------------

    def _new_fetch(
        self, subgraph: str, path: tuple[PathSegment, ...], parent: Fetch | None
    ) -> Fetch:
        fetch = Fetch(
            len(self.fetches), subgraph, path, is_entity=parent is not None, parent=parent
        )
        self.fetches.append(fetch)
        if parent is not None:
            parent.children.append(fetch)
        return fetch

    def _child(self, parent: Fetch, path: tuple[PathSegment, ...], subgraph: str) -> Fetch:
        key = (parent.id, path, subgraph)
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = self._new_fetch(subgraph, path, parent)
        return child

    def _type_filter(self, type_name: str) -> frozenset[str] | None:
        if type_name in self.sg.root_type_names():
            return None
        return frozenset(self.sg.possible_types(type_name))

    # ---- root --------------------------------------------------------------------------

    def build(self) -> QueryPlan:
        op_type = self.op_type
        if op_type == "subscription":
            raise PlanningError("Subscriptions are not supported by this gateway yet")
        root = self.sg.root_types.get(op_type)
        if root is None:
            raise PlanningError(f"The schema has no {op_type} type")
        level = _Level([self.operation.selection_set], self.fragments)
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

    def _root_fetch(self, root: str, name: str) -> Fetch:
        candidates = self.sg.field(root, name).resolving_subgraphs()
        if not candidates:
            raise PlanningError(f'No subgraph resolves "{root}.{name}"')
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
        level: _Level,
    ) -> None:
        for node in selections:
            if isinstance(node, FieldNode):
                name = node.name.value
                if name == "__typename":
                    continue
                if name in INTROSPECTION_FIELDS:
                    self.has_introspection = True
                    continue
                fetch = self._root_fetch(root, name)
                selection = fetch.selection
                for directives, variables in wrappers:
                    selection = selection.fragment("", directives)
                    fetch.variables.update(variables)
                self._plan_field(fetch, selection, root, node, _Where((), None, level))
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
        where: _Where,
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
            directives = print_directives(node.directives, fetch.variables)
            if condition in (None, parent_type) or not self.sg.is_abstract(parent_type):
                target = selection.fragment("", directives) if directives else selection
                self._plan_selections(fetch, target, parent_type, sub_nodes, where)
                continue
            assert condition is not None
            in_subgraph = set(self.sg.possible_types_in(parent_type, fetch.subgraph))
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
        where: _Where,
    ) -> None:
        name = node.name.value
        if name == "__typename" or name in INTROSPECTION_FIELDS:
            return
        info = self.sg.type(parent_type)
        field_info = info.fields[name]
        local = field_info.resolvable_in(fetch.subgraph) or where.has(name)
        if not local and info.is_abstract:
            for runtime in self.sg.possible_types_in(parent_type, fetch.subgraph):
                target = selection.fragment(runtime, "")
                self._plan_field(fetch, target, runtime, node, where)
            return
        if not local:
            child = self._entity_fetch(fetch, selection, info, name, where)
            target = child.selection.fragment(parent_type, "")
            self._plan_field(
                child, target, parent_type, node, _Where(where.path, None, where.level)
            )
            return
        response_key = node.alias.value if node.alias else name
        arguments = print_arguments(node.arguments, fetch.variables)
        directives = print_directives(node.directives, fetch.variables)
        named = field_info.named_type
        composite = self.sg.is_composite(named)
        sub = selection.add_field(response_key, name, arguments, directives, composite)
        if not composite or sub.selection is None or node.selection_set is None:
            return
        if self.sg.is_abstract(named):
            sub.selection.add_typename()
        sub_provided = where.provided.get(name) if where.provided is not None else None
        source = field_info.sources.get(fetch.subgraph)
        if source is not None and source.provides:
            sub_provided = provided_from(parse_field_set(source.provides), dict(sub_provided or {}))
        segment = PathSegment(response_key, self._type_filter(parent_type))
        inner = _Where((*where.path, segment), sub_provided, where.level.child(response_key))
        self._plan_selections(fetch, sub.selection, named, node.selection_set.selections, inner)

    # ---- entity hops -------------------------------------------------------------------

    def _choose_key(
        self, fetch: Fetch, info: TypeInfo, field_name: str, where: _Where
    ) -> tuple[str, KeyInfo]:
        """The subgraph (and its key) to fetch `info.field_name` from, for objects of `fetch`."""
        fallback: tuple[str, KeyInfo] | None = None
        for target in info.fields[field_name].resolving_subgraphs():
            if target == fetch.subgraph:
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
        self, fetch: Fetch, selection: SubSelection, info: TypeInfo, field_name: str, where: _Where
    ) -> Fetch:
        """The child fetch that resolves `info.field_name` for the objects at `where.path`."""
        target, key = self._choose_key(fetch, info, field_name, where)
        child = self._child(fetch, where.path, target)
        template, deps = self._add_internal(fetch, selection, info.name, key.selection, where)
        requires = info.fields[field_name].sources[target].requires
        if requires:
            wanted = parse_field_set(requires)
            required, more = self._add_internal(fetch, selection, info.name, wanted, where)
            merge_templates(template, required)
            deps |= more
        selection.add_typename()
        merge_templates(child.templates.setdefault(info.name, {}), template)
        child.depends_on |= (deps | {fetch.id}) - {child.id}
        return child

    def _locally_available(
        self, info: TypeInfo, subgraph: str, key: SelectionSetNode, where: _Where
    ) -> bool:
        for node in key.selections:
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            field_info = info.fields.get(node.name.value)
            if field_info is None:
                return False
            if not field_info.resolvable_in(subgraph) and not where.has(node.name.value):
                return False
        return True

    def _add_internal(
        self,
        fetch: Fetch,
        selection: SubSelection,
        parent_type: str,
        wanted: SelectionSetNode,
        where: _Where,
    ) -> tuple[Template, set[int]]:
        """Fetch a field set (keys, @requires) for the objects at `where.path`; return its
        template and the ids of the fetches that provide it."""
        template: Template = {}
        deps: set[int] = set()
        info = self.sg.type(parent_type)
        for node in wanted.selections:
            if not isinstance(node, FieldNode) or node.name.value == "__typename":
                continue
            name = node.name.value
            field_info = info.fields[name]
            if not (field_info.resolvable_in(fetch.subgraph) or where.has(name)):
                child = self._entity_fetch(fetch, selection, info, name, where)
                target = child.selection.fragment(parent_type, "")
                single = SelectionSetNode(selections=(node,))
                sub_template, sub_deps = self._add_internal(
                    child, target, parent_type, single, _Where(where.path, None, where.level)
                )
                merge_templates(template, sub_template)
                deps |= sub_deps | {child.id}
                continue
            response_key = where.level.internal_key(name)
            composite = node.selection_set is not None
            sub = selection.add_field(response_key, name, "", "", composite)
            nested: Template | None = None
            if composite and sub.selection is not None and node.selection_set is not None:
                named = field_info.named_type
                if self.sg.is_abstract(named):
                    sub.selection.add_typename()
                inner = _Where(
                    (*where.path, PathSegment(response_key, self._type_filter(parent_type))),
                    where.provided.get(name) if where.provided is not None else None,
                    where.level.child(name) if response_key == name else _Level([], {}),
                )
                nested, sub_deps = self._add_internal(
                    fetch, sub.selection, named, node.selection_set, inner
                )
                deps |= sub_deps
            template[name] = (response_key, nested)
        return template, deps

    # ---- batching and printing --------------------------------------------------------

    def _batch(self, fetches: list[Fetch]) -> list[Batch]:
        """Group entity fetches to one subgraph with the same dependencies into one request."""
        groups: dict[tuple[str, frozenset[int]] | int, list[Fetch]] = {}
        for fetch in fetches:
            key = (
                (fetch.subgraph, frozenset(fetch.depends_on)) if fetch.is_entity else -fetch.id - 1
            )
            groups.setdefault(key, []).append(fetch)
        batches: list[Batch] = []
        owner: dict[int, int] = {}
        for members in groups.values():
            batch = Batch(self.batch_count, members[0].subgraph, members)
            self.batch_count += 1
            batches.append(batch)
            for fetch in members:
                owner[fetch.id] = batch.id
            self._print(batch)
        for batch in batches:
            for fetch in batch.fetches:
                batch.depends_on |= {owner[d] for d in fetch.depends_on if d in owner}
        return batches

    def _print(self, batch: Batch) -> None:
        base = self.operation.name.value if self.operation.name else None
        if base:
            safe = re.sub(r"\W", "_", batch.subgraph)
            batch.operation_name = f"{base}__{safe}__{batch.id}"
        name = f" {batch.operation_name}" if batch.operation_name else ""
        used: dict[str, None] = {}
        for fetch in batch.fetches:
            used.update(fetch.variables)
        definitions = [self.variable_definitions[v] for v in used]
        if not batch.is_entity:
            fetch = batch.fetches[0]
            header = f"({', '.join(definitions)})" if definitions else ""
            batch.operation = f"{self.op_type}{name}{header} {fetch.selection.print()}"
            return
        calls: list[str] = []
        single = len(batch.fetches) == 1
        for position, fetch in enumerate(batch.fetches):
            rep = "representations" if single else f"representations{position}"
            while rep in self.variable_definitions:
                rep = "_" + rep
            fetch.representations_variable = rep
            fetch.alias = "_entities" if single else f"_e{position}"
            alias = "" if single else f"{fetch.alias}: "
            definitions.insert(position, f"${rep}: [_Any!]!")
            calls.append(f"{alias}_entities(representations: ${rep}) {fetch.selection.print()}")
        batch.operation = f"query{name}({', '.join(definitions)}) {{ {' '.join(calls)} }}"
