"""The supergraph model: every type and field, and which subgraph can resolve what.

Both inputs feed this model: `compose.py` builds it from the subgraphs' own SDLs and
`supergraph_sdl.py` from a composed `join__` supergraph file. The planner only reads it.
Nothing here knows any particular schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from graphql import FieldNode, SelectionSetNode, parse
from graphql.language import OperationDefinitionNode


class CompositionError(Exception):
    """The inputs do not form a valid supergraph; `errors` are readable one-liners."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("Supergraph composition failed:\n" + "\n".join(f"- {e}" for e in errors))


class TypeKind(StrEnum):
    OBJECT = "OBJECT"
    INTERFACE = "INTERFACE"
    UNION = "UNION"
    ENUM = "ENUM"
    INPUT_OBJECT = "INPUT_OBJECT"
    SCALAR = "SCALAR"


BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def parse_field_set(fields: str) -> SelectionSetNode:
    """Parse a FieldSet string such as `"id organization { id }"` into a selection set."""
    document = parse("{" + fields + "}", no_location=True)
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def field_set_names(selection: SelectionSetNode) -> list[str]:
    return [s.name.value for s in selection.selections if isinstance(s, FieldNode)]


def named_type_of(type_ref: str) -> str:
    """`[Foo!]!` -> `Foo`."""
    return type_ref.replace("[", "").replace("]", "").replace("!", "").strip()


@dataclass(slots=True)
class KeyInfo:
    fields: str
    resolvable: bool = True
    selection: SelectionSetNode = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.selection = parse_field_set(self.fields)


@dataclass(slots=True)
class FieldSource:
    """How one subgraph defines a field."""

    subgraph: str
    type: str
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    shareable: bool = False
    override_from: str | None = None
    overridden: bool = False  # another subgraph took this field over with @override

    @property
    def resolvable(self) -> bool:
        return not self.external and not self.overridden


@dataclass(slots=True)
class InputValueInfo:
    """An argument or an input-object field."""

    name: str
    type: str
    default: str | None = None  # printed GraphQL value literal
    description: str | None = None
    deprecation: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FieldInfo:
    name: str
    type: str
    args: dict[str, InputValueInfo] = field(default_factory=dict)
    description: str | None = None
    deprecation: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    sources: dict[str, FieldSource] = field(default_factory=dict)

    @property
    def named_type(self) -> str:
        return named_type_of(self.type)

    def resolvable_in(self, subgraph: str) -> bool:
        source = self.sources.get(subgraph)
        return source is not None and source.resolvable

    def resolving_subgraphs(self) -> list[str]:
        return [name for name, source in self.sources.items() if source.resolvable]


@dataclass(slots=True)
class EnumValueInfo:
    name: str
    description: str | None = None
    deprecation: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    subgraphs: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TypeInfo:
    name: str
    kind: TypeKind
    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    subgraphs: list[str] = field(default_factory=list)  # subgraphs that define the type
    keys: dict[str, list[KeyInfo]] = field(default_factory=dict)  # per subgraph
    fields: dict[str, FieldInfo] = field(default_factory=dict)  # object / interface
    input_fields: dict[str, InputValueInfo] = field(default_factory=dict)
    enum_values: dict[str, EnumValueInfo] = field(default_factory=dict)
    interfaces: dict[str, list[str]] = field(default_factory=dict)  # per subgraph
    members: dict[str, list[str]] = field(default_factory=dict)  # union members per subgraph
    interface_object_in: list[str] = field(default_factory=list)  # @interfaceObject subgraphs
    # subgraph -> the @interfaceObject name this object type is an entity of there
    entity_alias: dict[str, str] = field(default_factory=dict)
    specified_by: str | None = None

    @property
    def is_abstract(self) -> bool:
        return self.kind in (TypeKind.INTERFACE, TypeKind.UNION)

    @property
    def is_composite(self) -> bool:
        return self.kind in (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.UNION)

    def all_interfaces(self) -> list[str]:
        return _ordered_union(self.interfaces.values())

    def all_members(self) -> list[str]:
        return _ordered_union(self.members.values())

    def resolvable_keys(self, subgraph: str) -> list[KeyInfo]:
        return [k for k in self.keys.get(subgraph, []) if k.resolvable]


def _ordered_union(groups: object) -> list[str]:
    seen: dict[str, None] = {}
    for group in groups:  # type: ignore[attr-defined]
        for name in group:
            seen.setdefault(name, None)
    return list(seen)


@dataclass(slots=True)
class SubgraphInfo:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class NodeType:
    """An entity type as a `Node` (`composition.nodes`): the subgraph that answers
    `node(nodeId:)` for it through `_entities`, and the key its global ids are made of."""

    name: str
    subgraph: str
    key: KeyInfo


@dataclass
class Supergraph:
    subgraphs: dict[str, SubgraphInfo]
    types: dict[str, TypeInfo]
    root_types: dict[str, str]  # "query" / "mutation" / "subscription" -> type name
    # entity types with a global id (empty: no global object identification)
    node_types: dict[str, NodeType] = field(default_factory=dict)
    _possible: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _possible_in: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)

    def type(self, name: str) -> TypeInfo:
        return self.types[name]

    def field(self, type_name: str, field_name: str) -> FieldInfo:
        return self.types[type_name].fields[field_name]

    def is_abstract(self, type_name: str) -> bool:
        info = self.types.get(type_name)
        return info is not None and info.is_abstract

    def is_composite(self, type_name: str) -> bool:
        info = self.types.get(type_name)
        return info is not None and info.is_composite

    def possible_types(self, type_name: str) -> list[str]:
        """Concrete object types that a value of `type_name` can be (across all subgraphs)."""
        cached = self._possible.get(type_name)
        if cached is not None:
            return cached
        info = self.types[type_name]
        if info.kind is TypeKind.OBJECT:
            result = [type_name]
        elif info.kind is TypeKind.UNION:
            result = info.all_members()
        else:
            result = [
                t.name
                for t in self.types.values()
                if t.kind is TypeKind.OBJECT and type_name in t.all_interfaces()
            ]
        self._possible[type_name] = result
        return result

    def possible_types_in(self, type_name: str, subgraph: str) -> list[str]:
        """Concrete types a subgraph itself can return where it returns `type_name`."""
        key = (type_name, subgraph)
        cached = self._possible_in.get(key)
        if cached is not None:
            return cached
        info = self.types[type_name]
        if info.kind is TypeKind.OBJECT:
            result = [type_name] if subgraph in info.subgraphs else []
        elif info.kind is TypeKind.UNION:
            result = list(info.members.get(subgraph, []))
        else:
            result = [
                t.name
                for t in self.types.values()
                if t.kind is TypeKind.OBJECT and type_name in t.interfaces.get(subgraph, [])
            ]
        self._possible_in[key] = result
        return result

    def forget_possible_types(self) -> None:
        """Drop the cached possible types (after types gained interfaces)."""
        self._possible.clear()
        self._possible_in.clear()

    def root_type_names(self) -> frozenset[str]:
        return frozenset(self.root_types.values())

    def entity_typename(self, type_name: str, subgraph: str) -> str:
        """The `__typename` a subgraph knows this entity by (an @interfaceObject, or itself)."""
        info = self.types.get(type_name)
        if info is None:
            return type_name
        return info.entity_alias.get(subgraph, type_name)

    def is_interface_object_in(self, type_name: str, subgraph: str) -> bool:
        info = self.types.get(type_name)
        return info is not None and subgraph in info.interface_object_in

    def link_interface_objects(self) -> None:
        """Let each implementation of an @interfaceObject interface use the fields that the
        interface-object subgraphs contribute, fetched as entities of the interface."""
        for interface in self.types.values():
            if interface.kind is not TypeKind.INTERFACE or not interface.interface_object_in:
                continue
            for type_name in self.possible_types(interface.name):
                concrete = self.types[type_name]
                for subgraph in interface.interface_object_in:
                    keys = interface.keys.get(subgraph)
                    if not keys or subgraph in concrete.subgraphs:
                        continue
                    concrete.keys.setdefault(subgraph, list(keys))
                    concrete.entity_alias.setdefault(subgraph, interface.name)
                    for name, field_info in interface.fields.items():
                        source = field_info.sources.get(subgraph)
                        target = concrete.fields.get(name)
                        if source is None or not source.resolvable or target is None:
                            continue
                        if subgraph not in target.sources:
                            target.sources[subgraph] = FieldSource(
                                subgraph=subgraph,
                                type=source.type,
                                requires=source.requires,
                                provides=source.provides,
                                shareable=True,
                            )
