"""Planner scope: where the planner is in the client operation (response path, the client's
selections at that level, fields a `@provides` makes local)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
)

from crm_gateway.planning.plan import Fetch, PathSegment
from crm_gateway.planning.selection import SubSelection

Provided = dict[str, "Provided"]
"""Fields a `@provides` makes resolvable locally: name -> nested; "@Type" keys per type."""


class Level:
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

    def child(self, response_key: str) -> Level:
        sets = [n.selection_set for n in self.fields.get(response_key, []) if n.selection_set]
        return Level(sets, self._fragments)

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
            if node.type_condition is None:
                provided_from(node.selection_set, result)
            else:  # provided only for objects of that type: kept under "@Type"
                nested = result.setdefault("@" + node.type_condition.name.value, {})
                provided_from(node.selection_set, nested)
    return result


def provided_on(provided: Provided | None, type_name: str) -> Provided | None:
    """The provided fields that apply to an object of `type_name`."""
    if provided is None:
        return None
    result = {k: v for k, v in provided.items() if not k.startswith("@")}
    for key, nested in provided.items():
        if key == "@" + type_name:
            result.update(nested)
    return result


Route = tuple[tuple[str, FieldNode], ...]
"""Client fields (parent type, field node) leading from one object down to another."""


@dataclass(frozen=True, slots=True, eq=False)
class Anchor:
    """An enclosing object of an entity type as one fetch returns it: a field of a value type
    below it can be fetched from another subgraph through `_entities` on this object (keyed
    there), re-walking the route from it."""

    fetch: Fetch
    selection: SubSelection  # the object's selection in `fetch`
    type_name: str
    where: Where  # at the object
    outer: Anchor | None = None  # the next enclosing anchor
    lead: Route = ()  # from `outer`'s object down to this one

    def chain(self, below: Route) -> list[tuple[Anchor, Route]]:
        """This anchor and the outer ones, nearest first, each with its route to the object
        `below` leads to."""
        found: list[tuple[Anchor, Route]] = []
        anchor: Anchor | None = self
        while anchor is not None:
            found.append((anchor, below))
            below = (*anchor.lead, *below)
            anchor = anchor.outer
        return found


@dataclass(frozen=True, slots=True)
class Where:
    """Where the planner is: response path, fields a @provides makes local, client level."""

    path: tuple[PathSegment, ...]
    provided: Provided | None
    level: Level
    satisfied: str | None = None  # the field whose @requires this entity fetch carries
    # (parent type, field) from the operation root, while the fetch is a root fetch: lets a
    # value type without keys be completed by another subgraph through the same root path
    route: Route | None = None
    # the nearest enclosing entity object and the client fields from it down to this level
    anchor: Anchor | None = None
    below: Route = ()

    def has(self, name: str, type_name: str) -> bool:
        provided = provided_on(self.provided, type_name)
        return provided is not None and name in provided

    def provided_below(self, name: str, type_name: str) -> Provided | None:
        provided = provided_on(self.provided, type_name)
        return provided.get(name) if provided is not None else None
