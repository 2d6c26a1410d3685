"""Selection sets sent to one subgraph, built by the planner and printed once per plan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql.language import (
    ArgumentNode,
    DirectiveNode,
    ListValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    print_ast,
)


@dataclass(slots=True)
class SubField:
    response_key: str
    name: str
    arguments: str  # printed, e.g. "(first: 10, after: $cursor)" or ""
    directives: str  # printed, e.g. " @include(if: $withX)" or ""
    selection: SubSelection | None


class SubSelection:
    """Fields keyed by (response key, directives); inline fragments by (type, directives)."""

    __slots__ = ("fields", "fragments")

    def __init__(self) -> None:
        self.fields: dict[tuple[str, str], SubField] = {}
        self.fragments: dict[tuple[str, str], SubSelection] = {}

    def add_field(
        self, response_key: str, name: str, arguments: str, directives: str, composite: bool
    ) -> SubField:
        key = (response_key, directives)
        existing = self.fields.get(key)
        if existing is not None:
            return existing
        sub = SubField(
            response_key, name, arguments, directives, SubSelection() if composite else None
        )
        self.fields[key] = sub
        return sub

    def add_typename(self) -> None:
        self.add_field("__typename", "__typename", "", "", False)

    def fragment(self, type_condition: str, directives: str) -> SubSelection:
        key = (type_condition, directives)
        existing = self.fragments.get(key)
        if existing is None:
            existing = self.fragments[key] = SubSelection()
        return existing

    def response_keys(self) -> Iterator[str]:
        """Response keys of fields the client asked for (not gateway-internal ones)."""
        for field in self.fields.values():
            if not field.response_key.startswith("__"):
                yield field.response_key
        for fragment in self.fragments.values():
            yield from fragment.response_keys()

    def print(self) -> str:
        parts: list[str] = []
        for field in self.fields.values():
            alias = f"{field.response_key}: " if field.response_key != field.name else ""
            text = f"{alias}{field.name}{field.arguments}{field.directives}"
            if field.selection is not None:
                text += " " + field.selection.print()
            parts.append(text)
        for (type_condition, directives), fragment in self.fragments.items():
            on = f" on {type_condition}" if type_condition else ""
            parts.append(f"...{on}{directives} {fragment.print()}")
        if not parts:
            parts.append("__typename")
        return "{ " + " ".join(parts) + " }"


def _value_variables(value: ValueNode, found: dict[str, None]) -> None:
    if isinstance(value, VariableNode):
        found[value.name.value] = None
    elif isinstance(value, ListValueNode):
        for item in value.values:
            _value_variables(item, found)
    elif isinstance(value, ObjectValueNode):
        for object_field in value.fields:
            _value_variables(object_field.value, found)


def print_arguments(arguments: tuple[ArgumentNode, ...] | None, found: dict[str, None]) -> str:
    """Print `(a: 1, b: $x)` and record the variables used in `found`."""
    if not arguments:
        return ""
    for argument in arguments:
        _value_variables(argument.value, found)
    return "(" + ", ".join(print_ast(a) for a in arguments) + ")"


FORWARDED_DIRECTIVES = frozenset({"skip", "include"})


def print_directives(directives: tuple[DirectiveNode, ...] | None, found: dict[str, None]) -> str:
    """Print the executable directives subgraphs understand (`@skip`/`@include`)."""
    if not directives:
        return ""
    parts: list[str] = []
    for directive in directives:
        if directive.name.value not in FORWARDED_DIRECTIVES:
            continue
        for argument in directive.arguments or ():
            _value_variables(argument.value, found)
        parts.append(" " + print_ast(directive))
    return "".join(parts)
