"""Planning global object identification (`composition.nodes`): `nodeId` fields, which the
gateway fills in from key fields the plan fetches, and the `node` / `nodes` root fields, which
become a lookup the gateway resolves itself followed by `_entities` fetches to the owning
subgraph of every type the id could name (one per subgraph, whatever the number of ids)."""

from __future__ import annotations

from dataclasses import replace

from graphql import DirectiveNode, FieldNode, SelectionSetNode

from crm_gateway.composition.nodes import (
    NODE_FIELD,
    NODE_ID,
    NODE_ID_ARGUMENT,
    NODE_IDS_ARGUMENT,
    NODES_FIELD,
)
from crm_gateway.planning.entities import EntityHops
from crm_gateway.planning.fetches import FetchGraph
from crm_gateway.planning.plan import (
    Fetch,
    NodeIdSite,
    NodeLookup,
    PathSegment,
    Template,
    merge_templates,
)
from crm_gateway.planning.scope import Level, Where
from crm_gateway.planning.selection import SubSelection

Planned = tuple[Fetch, SubSelection, str, Where]
"""Where the client's selection below a lookup is planned for one type: the entity fetch to
its owning subgraph, the selection for the type there, the type, the scope."""


def key_template(selection: SelectionSetNode) -> Template:
    """The template of a key whose fields sit in the object under their own names."""
    template: Template = {}
    for node in selection.selections:
        if isinstance(node, FieldNode):
            nested = key_template(node.selection_set) if node.selection_set else None
            template[node.name.value] = (node.name.value, nested)
    return template


class GlobalIds:
    def __init__(self, graph: FetchGraph, hops: EntityHops) -> None:
        self.graph = graph
        self.sg = graph.sg
        self.hops = hops
        self._lookups: dict[str, Fetch] = {}  # by response key

    def is_node_id(self, parent_type: str, name: str) -> bool:
        return name == NODE_ID and parent_type in self.sg.node_types

    def is_lookup(self, root: str, name: str) -> bool:
        return (
            bool(self.sg.node_types)
            and name in (NODE_FIELD, NODES_FIELD)
            and root == self.sg.root_types.get("query")
        )

    def node_id(
        self, fetch: Fetch, selection: SubSelection, type_name: str, node: FieldNode, where: Where
    ) -> None:
        """`nodeId` of the objects of `type_name` at `where`: their key fields are fetched
        (from whichever subgraph returns them) and the gateway writes the id after the
        fetches."""
        key = self.sg.node_types[type_name].key
        template, _ = self.hops.add_internal(fetch, selection, type_name, key.selection, where)
        selection.add_typename()
        response_key = node.alias.value if node.alias else node.name.value
        self.graph.node_ids.append(NodeIdSite(where.path, type_name, response_key, template))

    def lookup(
        self, node: FieldNode, conditions: tuple[DirectiveNode, ...], level: Level
    ) -> list[Planned]:
        """The lookup for a `node` / `nodes` field and, for each type a global id may name,
        where the client's selection is planned."""
        response_key = node.alias.value if node.alias else node.name.value
        lookup = self._lookup(node, response_key, conditions)
        path = (PathSegment(response_key, None),)
        below = level.child(response_key)
        planned: list[Planned] = []
        for type_name, node_type in self.sg.node_types.items():
            child = self.graph.child(lookup, path, node_type.subgraph)
            child.drops_missing = True
            child.depends_on.add(lookup.id)
            template = child.templates.setdefault(type_name, {})
            merge_templates(template, key_template(node_type.key.selection))
            target = self.hops.entity_selection(child, type_name)
            target.add_typename()  # asked even when the client selects nothing of the type
            where = Where(path, None, below)
            anchor = self.hops.routes.anchor_at(
                child, target, type_name, where, outer=None, lead=()
            )
            planned.append((child, target, type_name, replace(where, anchor=anchor)))
        return planned

    def _lookup(
        self, node: FieldNode, response_key: str, conditions: tuple[DirectiveNode, ...]
    ) -> Fetch:
        """One lookup per response key: the same field selected in several places (with the
        same arguments, as validation requires) shares it and its entity fetches, which
        would otherwise write the same objects twice."""
        existing = self._lookups.get(response_key)
        if existing is not None and existing.lookup is not None:
            more = (*existing.lookup.conditions, conditions)
            existing.lookup = replace(existing.lookup, conditions=more)
            return existing
        many = node.name.value == NODES_FIELD
        wanted = NODE_IDS_ARGUMENT if many else NODE_ID_ARGUMENT
        argument = next((a.value for a in node.arguments or () if a.name.value == wanted), None)
        lookup = self.graph.new_lookup(NodeLookup(response_key, argument, many, (conditions,)))
        self._lookups[response_key] = lookup
        return lookup
