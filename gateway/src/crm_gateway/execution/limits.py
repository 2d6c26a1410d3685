"""Operation limits: depth, aliases, root fields and an estimated cost.

Measured on the client operation against the public schema, before anything is sent to a
subgraph. The cost counts every field once per object it is resolved for: a field's cost is
its multiplier times (1 + the cost of its selections). The multiplier of a list of objects is
the value of its list-size argument (`first`, `last`, `limit`, ... from a literal or a
variable), else the size its connection was asked for (the argument of a non-list field, such
as a Relay connection, sizes the lists directly below it: `edges`, `nodes`), else a default
list size. A list of scalars or enums (tags, phones) is one value, like any leaf. Introspection
fields are answered by the gateway itself and are not counted. Token counts are enforced by the
parser (`max_tokens`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_object_type,
)
from graphql.type import GraphQLInterfaceType, GraphQLObjectType


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 20
    max_tokens: int = 5000
    max_cost: int = 20000
    default_list_size: int = 10
    list_size_arguments: tuple[str, ...] = ("first", "last", "limit", "pageSize", "take")


@dataclass(frozen=True, slots=True)
class Measures:
    depth: int
    aliases: int
    root_fields: int
    cost: int
    uses_variables: bool  # the cost depends on variable values


class LimitExceeded(Exception):
    def __init__(self, limit: str, maximum: int, actual: int) -> None:
        super().__init__(f"The operation exceeds the {limit} limit ({actual} > {maximum}).")
        self.limit = limit
        self.maximum = maximum
        self.actual = actual


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        return _is_list(type_.of_type)
    return isinstance(type_, GraphQLList)


class _Measure:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        limits: Limits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.limits = limits
        self.aliases = 0
        self.uses_variables = False

    def size_argument(self, node: FieldNode) -> int | None:
        """The value of the field's list-size argument, if it has one."""
        for argument in node.arguments or ():
            if argument.name.value not in self.limits.list_size_arguments:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(int(value.value), 0)
            if isinstance(value, VariableNode):
                self.uses_variables = True
                raw = self.variables.get(value.name.value)
                if isinstance(raw, int) and not isinstance(raw, bool):
                    return max(raw, 0)
        return None

    def multiplier(
        self, node: FieldNode, type_: GraphQLOutputType, sized: int | None = None
    ) -> tuple[int, int | None]:
        """How many times the field is resolved per parent object, and the size its list
        children inherit (a connection's `first` sizes its `edges`)."""
        own = self.size_argument(node)
        if not _is_list(type_):
            return 1, own
        if own is not None:
            return own, None
        if isinstance(get_named_type(type_), GraphQLScalarType | GraphQLEnumType):
            return 1, None
        return (self.limits.default_list_size if sized is None else sized), None

    def selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        seen: frozenset[str],
        sized: int | None = None,
    ) -> tuple[int, int]:
        """(cost, depth) of a selection set on `parent`; `sized`: the size asked of the
        connection this selection set belongs to."""
        cost = 0
        depth = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                inner_cost, inner_depth = self._field(node, parent, seen, sized)
            elif isinstance(node, InlineFragmentNode | FragmentSpreadNode):
                inner_cost, inner_depth, seen = self._fragment(node, parent, seen, sized)
            else:
                continue
            cost += inner_cost
            depth = max(depth, inner_depth)
        return cost, depth

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType, seen: frozenset[str], sized: int | None
    ) -> tuple[int, int]:
        name = node.name.value
        if name.startswith("__"):
            return 0, 0
        if node.alias is not None:
            self.aliases += 1
        fields = (
            parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        )
        definition = fields.get(name)
        if definition is None:
            return 0, 0
        times, inherited = self.multiplier(node, definition.type, sized)
        inner_cost, inner_depth = 0, 0
        if node.selection_set is not None:
            inner_cost, inner_depth = self.selection_set(
                node.selection_set, get_named_type(definition.type), seen, inherited
            )
        return times * (1 + inner_cost), 1 + inner_depth

    def _fragment(
        self,
        node: InlineFragmentNode | FragmentSpreadNode,
        parent: GraphQLNamedType,
        seen: frozenset[str],
        sized: int | None,
    ) -> tuple[int, int, frozenset[str]]:
        """(cost, depth) of a fragment, and the fragments seen so far."""
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            sub_set = node.selection_set
        else:
            name = node.name.value
            fragment = self.fragments.get(name)
            if fragment is None or name in seen:
                return 0, 0, seen
            seen = seen | {name}
            condition = fragment.type_condition.name.value
            sub_set = fragment.selection_set
        target = self.schema.get_type(condition) if condition else parent
        if target is None:
            return 0, 0, seen
        inner_cost, inner_depth = self.selection_set(sub_set, target, seen, sized)
        return inner_cost, inner_depth, seen


def _root_field_count(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> int:
    count = 0
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            count += 0 if node.name.value.startswith("__") else 1
        elif isinstance(node, InlineFragmentNode):
            count += _root_field_count(node.selection_set, fragments)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            count += _root_field_count(fragments[node.name.value].selection_set, {})
    return count


def measure(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    limits: Limits,
) -> Measures:
    root = schema.get_root_type(operation.operation)
    assert root is not None and is_object_type(root)
    walker = _Measure(schema, fragments, variables, limits)
    cost, depth = walker.selection_set(operation.selection_set, root, frozenset())
    return Measures(
        depth=depth,
        aliases=walker.aliases,
        root_fields=_root_field_count(operation.selection_set, fragments),
        cost=cost,
        uses_variables=walker.uses_variables,
    )


def check_shape(measures: Measures, limits: Limits) -> None:
    """Depth, aliases and root fields (independent of variables)."""
    for name, actual, maximum in (
        ("depth", measures.depth, limits.max_depth),
        ("aliases", measures.aliases, limits.max_aliases),
        ("rootFields", measures.root_fields, limits.max_root_fields),
    ):
        if maximum > 0 and actual > maximum:
            raise LimitExceeded(name, maximum, actual)


def check_cost(cost: int, limits: Limits) -> None:
    if limits.max_cost > 0 and cost > limits.max_cost:
        raise LimitExceeded("cost", limits.max_cost, cost)
