"""The planner's fetch graph: fetch bookkeeping, subgraph scoring, batching and printing of the
subgraph operations (the base of the planner's builder in `crm_gateway.planning.planner`)."""

from __future__ import annotations

import re

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    print_ast,
)

from crm_gateway.composition.supergraph import Supergraph, TypeInfo, parse_field_set
from crm_gateway.planning.aliases import alias_conflicts
from crm_gateway.planning.plan import Batch, Fetch, PathSegment
from crm_gateway.planning.scope import Provided, Where, provided_from, provided_on


class FetchGraph:
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
        self.children: dict[tuple[int, tuple[PathSegment, ...], str, str], Fetch] = {}
        self.has_introspection = False
        self.op_type = operation.operation.value
        self.roots: list[Fetch] = []
        self.batch_count = 0
        # entity hops being planned (fetch, path, type, field): a key that needs itself
        self.pending: set[tuple[int, tuple[PathSegment, ...], str, str]] = set()
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

    def _child(
        self, parent: Fetch, path: tuple[PathSegment, ...], subgraph: str, tag: str = ""
    ) -> Fetch:
        key = (parent.id, path, subgraph, tag)
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = self._new_fetch(subgraph, path, parent)
        return child

    def _type_filter(self, type_name: str) -> frozenset[str] | None:
        if type_name in self.sg.root_type_names():
            return None
        # an abstract type's own name: objects an @interfaceObject subgraph returned
        return frozenset((*self.sg.possible_types(type_name), type_name))

    def _local_score(
        self, subgraph: str, parent_type: str, node: FieldNode, provided: Provided | None
    ) -> int:
        """How many fields of this client field's tree `subgraph` resolves without a hop."""
        name = node.name.value
        field_info = self.sg.type(parent_type).fields.get(name)
        if field_info is None:
            return 0
        here = provided_on(provided, parent_type)
        if not (field_info.resolvable_in(subgraph) or (here is not None and name in here)):
            return 0
        score = 1
        if node.selection_set is None:
            return score
        sub_provided = here.get(name) if here is not None else None
        source = field_info.sources.get(subgraph)
        if source is not None and source.provides:
            sub_provided = provided_from(parse_field_set(source.provides), dict(sub_provided or {}))
        stack: list[tuple[str, SelectionNode]] = [
            (field_info.named_type, child) for child in node.selection_set.selections
        ]
        seen: set[str] = set()
        while stack:
            type_name, child = stack.pop()
            if isinstance(child, FieldNode):
                if child.name.value != "__typename":
                    score += self._local_score(subgraph, type_name, child, sub_provided)
            elif isinstance(child, InlineFragmentNode):
                condition = child.type_condition.name.value if child.type_condition else type_name
                stack.extend((condition, c) for c in child.selection_set.selections)
            elif isinstance(child, FragmentSpreadNode) and child.name.value not in seen:
                seen.add(child.name.value)
                fragment = self.fragments.get(child.name.value)
                if fragment is not None:
                    condition = fragment.type_condition.name.value
                    stack.extend((condition, c) for c in fragment.selection_set.selections)
        return score

    def _local(self, info: TypeInfo, subgraph: str, name: str, where: Where) -> bool:
        """Does `subgraph` return the field itself (it resolves it, or a @provides above makes
        it local)? A field the subgraph marks @external is not its to return, key fields
        included (the reference gateways do not trust such a value either)."""
        field_info = info.fields.get(name)
        return field_info is not None and (
            field_info.resolvable_in(subgraph) or where.has(name, info.name)
        )

    def _locally_available(
        self, info: TypeInfo, subgraph: str, key: SelectionSetNode, where: Where
    ) -> bool:
        return all(
            self._local(info, subgraph, node.name.value, where)
            for node in key.selections
            if isinstance(node, FieldNode) and node.name.value != "__typename"
        )

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
        for fetch in batch.fetches:
            owner = None if fetch.is_entity else self.sg.root_types.get(self.op_type)
            batch.renames.update(alias_conflicts(fetch.selection, owner, batch.subgraph, self.sg))
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
