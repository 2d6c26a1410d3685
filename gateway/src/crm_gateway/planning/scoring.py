"""Choosing among subgraphs that resolve the same root field: how much of the client's
selection each one resolves itself (without a hop), `@provides` included."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)

from crm_gateway.composition.supergraph import Supergraph, parse_field_set
from crm_gateway.planning.scope import Provided, provided_from, provided_on


class LocalScore:
    def __init__(
        self, supergraph: Supergraph, fragments: dict[str, FragmentDefinitionNode]
    ) -> None:
        self.sg = supergraph
        self.fragments = fragments

    def score(
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
        if node.selection_set is None:
            return 1
        sub_provided = here.get(name) if here is not None else None
        source = field_info.sources.get(subgraph)
        if source is not None and source.provides:
            sub_provided = provided_from(parse_field_set(source.provides), dict(sub_provided or {}))
        nodes = node.selection_set.selections
        return 1 + sum(
            self.score(subgraph, type_name, child, sub_provided)
            for type_name, child in self._fields(field_info.named_type, nodes)
        )

    def _fields(
        self, type_name: str, nodes: tuple[SelectionNode, ...] | list[SelectionNode]
    ) -> Iterator[tuple[str, FieldNode]]:
        """The client fields of a selection set (fragments expanded once), with their type."""
        stack: list[tuple[str, SelectionNode]] = [(type_name, child) for child in nodes]
        seen: set[str] = set()
        while stack:
            parent, child = stack.pop()
            if isinstance(child, FieldNode):
                if child.name.value != "__typename":
                    yield parent, child
            elif isinstance(child, InlineFragmentNode):
                condition = child.type_condition.name.value if child.type_condition else parent
                stack.extend((condition, c) for c in child.selection_set.selections)
            elif isinstance(child, FragmentSpreadNode) and child.name.value not in seen:
                seen.add(child.name.value)
                fragment = self.fragments.get(child.name.value)
                if fragment is not None:
                    condition = fragment.type_condition.name.value
                    stack.extend((condition, c) for c in fragment.selection_set.selections)
