"""Global object identification, in the shape Hive Gateway gives it (Apollo's gateways have
none): an interface `Node { nodeId: ID! }` that every entity type implements, and the root
fields `node(nodeId: ID!): Node` and `nodes(nodeIds: [ID!]!): [Node]!`.

The global id goes in a field of its own, `nodeId`, so the types' own `id` fields stay what
they are. It is opaque: base64url of `<type name>:<key fields as JSON>`, made of the key the
type's owning subgraph resolves it by. The gateway answers `nodeId` itself from the key fields
(`planning.global_ids`) and `node` / `nodes` through `_entities` at the owning subgraph, which
decides, as for every entity call, what the caller may see (`execution.global_ids`).

An entity type is an object type with a resolvable `@key` in a subgraph that defines it; its
owning subgraph is the one of those that resolves most of its fields. Nothing is added when the
supergraph already uses one of the names (its own `Node`, `node`, `nodes` or `nodeId`).
"""

from __future__ import annotations

from crm_gateway.composition.supergraph import (
    FieldInfo,
    InputValueInfo,
    KeyInfo,
    NodeType,
    Supergraph,
    TypeInfo,
    TypeKind,
    field_set_names,
)

NODE_INTERFACE = "Node"
NODE_ID = "nodeId"
NODE_FIELD = "node"
NODES_FIELD = "nodes"
NODE_ID_ARGUMENT = "nodeId"
NODE_IDS_ARGUMENT = "nodeIds"
# what the gateway resolves itself, in per-subgraph tables (`TypeInfo.interfaces`) and plans
GATEWAY = "@gateway"


def add_global_ids(supergraph: Supergraph) -> str | None:
    """Add `Node`, `nodeId` and `node` / `nodes` to the supergraph (once); the reason when
    nothing was added."""
    if supergraph.node_types:
        return None
    query = supergraph.root_types.get("query")
    if query is None:
        return "the supergraph has no query type"
    node_types = _node_types(supergraph)
    if not node_types:
        return "the supergraph has no entity types"
    taken = _names_taken(supergraph, supergraph.types[query], node_types)
    if taken:
        return f"the supergraph already defines {taken}"
    supergraph.types[NODE_INTERFACE] = TypeInfo(
        NODE_INTERFACE,
        TypeKind.INTERFACE,
        description="An object with a global id: `node(nodeId:)` fetches it again.",
        fields={NODE_ID: _node_id_field()},
    )
    for name in node_types:
        info = supergraph.types[name]
        info.fields[NODE_ID] = _node_id_field()
        info.interfaces.setdefault(GATEWAY, []).append(NODE_INTERFACE)
    supergraph.types[query].fields.update(_root_fields())
    supergraph.node_types = node_types
    supergraph.forget_possible_types()
    return None


def _node_types(supergraph: Supergraph) -> dict[str, NodeType]:
    found: dict[str, NodeType] = {}
    roots = supergraph.root_type_names()
    for info in supergraph.types.values():
        if info.kind is TypeKind.OBJECT and not info.inaccessible and info.name not in roots:
            node_type = _owner(info)
            if node_type is not None:
                found[info.name] = node_type
    return found


def _owner(info: TypeInfo) -> NodeType | None:
    """The subgraph (first among equals) that resolves most of the type's fields, of those
    that define the type and resolve it by a key whose fields they resolve themselves."""
    keyed: dict[str, KeyInfo] = {}
    for subgraph in info.subgraphs:
        if subgraph in info.entity_alias:
            continue  # an entity there only as an @interfaceObject
        key = next((k for k in info.resolvable_keys(subgraph) if _own_key(info, subgraph, k)), None)
        if key is not None:
            keyed[subgraph] = key
    if not keyed:
        return None

    def resolved(subgraph: str) -> int:
        return sum(1 for f in info.fields.values() if f.resolvable_in(subgraph))

    owner = max(keyed, key=resolved)
    return NodeType(info.name, owner, keyed[owner])


def _own_key(info: TypeInfo, subgraph: str, key: KeyInfo) -> bool:
    return all(
        name in info.fields and info.fields[name].resolvable_in(subgraph)
        for name in field_set_names(key.selection)
    )


def _names_taken(supergraph: Supergraph, query: TypeInfo, node_types: dict[str, NodeType]) -> str:
    taken = [NODE_INTERFACE] if NODE_INTERFACE in supergraph.types else []
    taken += [f"{query.name}.{n}" for n in (NODE_FIELD, NODES_FIELD) if n in query.fields]
    taken += [f"{t}.{NODE_ID}" for t in node_types if NODE_ID in supergraph.types[t].fields]
    return ", ".join(taken)


def _node_id_field() -> FieldInfo:
    return FieldInfo(
        NODE_ID,
        "ID!",
        description="The object's global id (opaque): `node(nodeId:)` fetches the object again.",
    )


def _root_fields() -> dict[str, FieldInfo]:
    node = FieldInfo(
        NODE_FIELD,
        NODE_INTERFACE,
        args={
            NODE_ID_ARGUMENT: InputValueInfo(
                NODE_ID_ARGUMENT,
                "ID!",
                description="A `nodeId` as the API gave it; a malformed one is BAD_USER_INPUT.",
            )
        },
        description="The object with this global id (null when there is none to see).",
    )
    nodes = FieldInfo(
        NODES_FIELD,
        f"[{NODE_INTERFACE}]!",
        args={
            NODE_IDS_ARGUMENT: InputValueInfo(
                NODE_IDS_ARGUMENT,
                "[ID!]!",
                description="Up to 100 `nodeId`s; more is TOO_MANY, a malformed one "
                "BAD_USER_INPUT at its index.",
            )
        },
        description="The objects with these global ids, in their order (null where there is none).",
    )
    return {NODE_FIELD: node, NODES_FIELD: nodes}
