"""Small helpers for reading SDL documents (directive arguments, types, descriptions)."""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveNode,
    ListTypeNode,
    NonNullTypeNode,
    TypeNode,
    parse_type,
    print_ast,
    value_from_ast_untyped,
)
from graphql.language import ConstDirectiveNode, NamedTypeNode, Node, StringValueNode


def directive_args(directive: DirectiveNode | ConstDirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def description_of(node: Node) -> str | None:
    description = getattr(node, "description", None)
    if isinstance(description, StringValueNode):
        return description.value
    return None


def deprecation_of(node: Node) -> str | None:
    for directive in getattr(node, "directives", None) or ():
        if directive.name.value == "deprecated":
            reason = directive_args(directive).get("reason")
            return str(reason) if reason is not None else "No longer supported"
    return None


def rename_type(type_node: TypeNode, renames: dict[str, str]) -> str:
    """Print a type reference, renaming its named type (used for subgraph root types)."""
    printed = print_ast(type_node)
    if not renames:
        return printed
    named = printed.replace("[", "").replace("]", "").replace("!", "")
    if named in renames:
        return printed.replace(named, renames[named])
    return printed


def _structure(type_ref: str) -> TypeNode:
    return parse_type(type_ref)


def merge_type_refs(a: str, b: str, *, for_input: bool) -> str | None:
    """Merge two compatible type references, or None when they are not compatible.

    Output positions take the less strict nullability, input positions the stricter one.
    """

    def merge(x: TypeNode, y: TypeNode) -> str | None:
        x_nn = isinstance(x, NonNullTypeNode)
        y_nn = isinstance(y, NonNullTypeNode)
        x_inner = x.type if isinstance(x, NonNullTypeNode) else x
        y_inner = y.type if isinstance(y, NonNullTypeNode) else y
        non_null = (x_nn or y_nn) if for_input else (x_nn and y_nn)
        if isinstance(x_inner, ListTypeNode) and isinstance(y_inner, ListTypeNode):
            inner = merge(x_inner.type, y_inner.type)
            if inner is None:
                return None
            core = f"[{inner}]"
        elif isinstance(x_inner, NamedTypeNode) and isinstance(y_inner, NamedTypeNode):
            if x_inner.name.value != y_inner.name.value:
                return None
            core = x_inner.name.value
        else:
            return None
        return core + "!" if non_null else core

    return merge(_structure(a), _structure(b))


def print_value(value: Node | None) -> str | None:
    return None if value is None else print_ast(value)
