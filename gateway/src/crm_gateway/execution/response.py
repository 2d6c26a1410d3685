"""Shape the merged subgraph data into the client's response.

Walks the client operation over the API schema: applies aliases, fragments, `@skip`/`@include`,
computes `__typename`, drops fields the gateway fetched for itself (keys, requires), and applies
GraphQL null propagation: a null in a non-null position nulls the nearest nullable parent, with an
error at that path unless a subgraph error or a failed fetch already explains it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.language import DirectiveNode, VariableNode

from crm_gateway.errors import INTERNAL, gateway_error
from crm_gateway.execution.state import ExecutionState
from crm_gateway.planning.plan import INTROSPECTION_FIELDS, QueryPlan


class _Bubble:
    pass


BUBBLE: Final = _Bubble()


def _condition(directive: DirectiveNode, variables: dict[str, Any]) -> bool:
    for argument in directive.arguments or ():
        if argument.name.value == "if":
            value = argument.value
            if isinstance(value, VariableNode):
                return bool(variables.get(value.name.value))
            return bool(getattr(value, "value", False))
    return False


def included(directives: Sequence[DirectiveNode] | None, variables: dict[str, Any]) -> bool:
    for directive in directives or ():
        name = directive.name.value
        if name == "skip" and _condition(directive, variables):
            return False
        if name == "include" and not _condition(directive, variables):
            return False
    return True


class ResponseShaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        plan: QueryPlan,
        variables: dict[str, Any],
        state: ExecutionState,
    ) -> None:
        self.schema = schema
        self.fragments: dict[str, FragmentDefinitionNode] = plan.fragments
        self.plan = plan
        self.variables = variables
        self.state = state
        self._collected: dict[tuple[tuple[int, ...], str], dict[str, list[FieldNode]]] = {}

    def shape(self) -> dict[str, Any] | None:
        root = self.schema.get_root_type(self.plan.operation.operation)
        assert root is not None
        result = self._object(root, (self.plan.operation.selection_set,), self.state.data, [])
        return None if isinstance(result, _Bubble) else result

    # ---- field collection (GraphQL spec CollectFields) ---------------------------------

    def _applies(self, condition: str | None, runtime: GraphQLObjectType) -> bool:
        if condition is None or condition == runtime.name:
            return True
        conditional = self.schema.get_type(condition)
        return (
            conditional is not None
            and is_abstract_type(conditional)
            and self.schema.is_sub_type(
                conditional,  # type: ignore[arg-type]
                runtime,
            )
        )

    def _collect(
        self, runtime: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        cache_key = (tuple(id(s) for s in selection_sets), runtime.name)
        cached = self._collected.get(cache_key)
        if cached is not None:
            return cached
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._visit(selection_set, runtime, fields, visited)
        self._collected[cache_key] = fields
        return fields

    def _visit(
        self,
        selection_set: SelectionSetNode,
        runtime: GraphQLObjectType,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for node in selection_set.selections:
            if not included(node.directives, self.variables):
                continue
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                fields.setdefault(key, []).append(node)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition.name.value if node.type_condition else None
                if self._applies(condition, runtime):
                    self._visit(node.selection_set, runtime, fields, visited)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, runtime):
                    self._visit(fragment.selection_set, runtime, fields, visited)

    # ---- completion -------------------------------------------------------------------

    def _object(
        self,
        runtime: GraphQLObjectType,
        selection_sets: Sequence[SelectionSetNode],
        data: dict[str, Any],
        path: list[str | int],
    ) -> dict[str, Any] | _Bubble:
        result: dict[str, Any] = {}
        for key, nodes in self._collect(runtime, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                result[key] = runtime.name
                continue
            if name in INTROSPECTION_FIELDS:
                result[key] = data.get(key)
                continue
            definition = runtime.fields.get(name)
            if definition is None:
                continue
            value = self._complete(
                definition.type, nodes, data.get(key), [*path, key], f"{runtime.name}.{name}"
            )
            if isinstance(value, _Bubble):
                return BUBBLE
            result[key] = value
        return result

    def _complete(
        self,
        type_: GraphQLOutputType,
        nodes: list[FieldNode],
        value: Any,
        path: list[str | int],
        label: str,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self._non_null(type_, nodes, value, path, label)
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            return self._list(type_, nodes, value, path, label)
        if is_leaf_type(type_):
            return self._leaf(type_, value, path)
        return self._composite(type_, nodes, value, path)

    def _non_null(
        self,
        type_: GraphQLNonNull[Any],
        nodes: list[FieldNode],
        value: Any,
        path: list[str | int],
        label: str,
    ) -> Any:
        """A null here nulls the nearest nullable parent (BUBBLE), with an error unless one
        already explains it."""
        completed = self._complete(type_.of_type, nodes, value, path, label)
        if completed is not None and not isinstance(completed, _Bubble):
            return completed
        if value is None and not self.state.is_explained(path):
            self.state.add_error(
                gateway_error(f"Cannot return null for non-nullable field {label}.", INTERNAL, path)
            )
        return BUBBLE

    def _composite(
        self, type_: GraphQLOutputType, nodes: list[FieldNode], value: Any, path: list[str | int]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        runtime: Any = self._runtime(type_, value, path) if is_abstract_type(type_) else type_
        if runtime is None:
            return None
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        completed = self._object(runtime, selection_sets, value, path)
        return None if isinstance(completed, _Bubble) else completed

    def _list(
        self,
        type_: GraphQLList[Any],
        nodes: list[FieldNode],
        value: Any,
        path: list[str | int],
        label: str,
    ) -> list[Any] | None:
        if not isinstance(value, list):
            return None
        items = []
        for position, item in enumerate(value):
            completed = self._complete(type_.of_type, nodes, item, [*path, position], label)
            if isinstance(completed, _Bubble):
                return None
            items.append(completed)
        return items

    def _leaf(self, type_: GraphQLOutputType, value: Any, path: list[str | int]) -> Any:
        if isinstance(type_, GraphQLEnumType) and value not in type_.values:
            # a value the public schema does not have (@inaccessible, or only in some
            # subgraphs): the field is null, with an error
            self.state.add_error(
                gateway_error(f"Enum {type_.name} cannot represent value.", INTERNAL, path)
            )
            return None
        return value

    def _runtime(
        self, type_: GraphQLOutputType, value: dict[str, Any], path: list[str | int]
    ) -> Any:
        """The object type an abstract type's value resolves to (None, with an error, when
        it is unknown or inaccessible). An @interfaceObject without implementations is its
        own runtime type: its fields are all there is."""
        runtime: Any = self.schema.get_type(str(value.get("__typename")))
        if runtime is type_ and not self.schema.get_possible_types(
            type_  # type: ignore[arg-type]
        ):
            return runtime
        if (
            runtime is None
            or not is_object_type(runtime)
            or not self.schema.is_sub_type(
                type_,  # type: ignore[arg-type]
                runtime,
            )
        ):
            self.state.add_error(
                gateway_error(
                    f"Abstract type {type_} resolved to an unknown or inaccessible type "
                    f"{value.get('__typename')!r}.",
                    INTERNAL,
                    path,
                )
            )
            return None
        return runtime
