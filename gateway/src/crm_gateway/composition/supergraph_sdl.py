"""Read a composed supergraph SDL (the `join__` / `link` format of @apollo/composition and rover).

Understands join v0.1-v0.5 directives: `@join__graph`, `@join__type` (key, resolvable,
extension, isInterfaceObject), `@join__field` (graph, type, external, requires, provides,
override, usedOverridden), `@join__implements`, `@join__unionMember`, `@join__enumValue`,
and `@inaccessible` / `@tag` under their linked names.
"""

from __future__ import annotations

from graphql import GraphQLError, parse
from graphql.language import (
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    Node,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
)

from crm_gateway.composition.api_schema import build_api_schema
from crm_gateway.composition.sdl import (
    deprecation_of,
    description_of,
    directive_args,
    print_value,
    rename_type,
)
from crm_gateway.composition.supergraph import (
    CompositionError,
    EnumValueInfo,
    FieldInfo,
    FieldSource,
    InputValueInfo,
    KeyInfo,
    SubgraphInfo,
    Supergraph,
    TypeInfo,
    TypeKind,
)

_KINDS: dict[type[Node], TypeKind] = {
    ObjectTypeDefinitionNode: TypeKind.OBJECT,
    InterfaceTypeDefinitionNode: TypeKind.INTERFACE,
    UnionTypeDefinitionNode: TypeKind.UNION,
    EnumTypeDefinitionNode: TypeKind.ENUM,
    InputObjectTypeDefinitionNode: TypeKind.INPUT_OBJECT,
    ScalarTypeDefinitionNode: TypeKind.SCALAR,
}


class _Names:
    """Directive names as linked in this document (`@link(url: ..., as: ...)`)."""

    def __init__(self, document: DocumentNode) -> None:
        self.join = "join"
        self.inaccessible = "inaccessible"
        self.tag = "tag"
        self.spec_prefixes = {"link", "join"}
        for definition in document.definitions:
            if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                continue
            for directive in definition.directives or ():
                if directive.name.value != "link":
                    continue
                args = directive_args(directive)
                url = str(args.get("url") or "")
                alias = args.get("as")
                if "/join/" in url:
                    self.join = str(alias or "join")
                    self.spec_prefixes.add(self.join)
                elif "/inaccessible/" in url:
                    self.inaccessible = str(alias or "inaccessible")
                elif "/tag/" in url:
                    self.tag = str(alias or "tag")
                elif "specs.apollo.dev/link/" in url and alias:
                    self.spec_prefixes.add(str(alias))

    def d(self, local: str) -> str:
        return f"{self.join}__{local}"

    def is_spec_type(self, name: str) -> bool:
        return any(name.startswith(prefix + "__") for prefix in self.spec_prefixes)


def _directives(node: Node, name: str) -> list[dict[str, object]]:
    return [
        directive_args(d) for d in getattr(node, "directives", None) or () if d.name.value == name
    ]


def _graphs(
    document: DocumentNode, names: _Names
) -> tuple[dict[str, SubgraphInfo], dict[str, str]]:
    """Subgraphs by name, and enum value (`PRODUCTS`) -> subgraph name (`products`)."""
    for definition in document.definitions:
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == names.d(
            "Graph"
        ):
            subgraphs: dict[str, SubgraphInfo] = {}
            by_enum: dict[str, str] = {}
            for value in definition.values or ():
                graph = _directives(value, names.d("graph"))
                if not graph:
                    raise CompositionError(
                        [f'join__Graph value "{value.name.value}" has no @join__graph']
                    )
                name = str(graph[0].get("name") or value.name.value.lower())
                subgraphs[name] = SubgraphInfo(name, str(graph[0].get("url") or ""))
                by_enum[value.name.value] = name
            return subgraphs, by_enum
    raise CompositionError(["The supergraph SDL has no join__Graph enum; is it a supergraph?"])


def _tags(node: Node, names: _Names) -> list[str]:
    return [str(t.get("name")) for t in _directives(node, names.tag)]


def load_supergraph_sdl(sdl: str) -> Supergraph:
    """Build the supergraph model from a composed supergraph SDL, or raise CompositionError."""
    try:
        document = parse(sdl, no_location=True)
    except GraphQLError as exc:
        raise CompositionError([f"The supergraph SDL does not parse: {exc.message}"]) from exc
    names = _Names(document)
    subgraphs, by_enum = _graphs(document, names)
    reader = _TypeReader(names, by_enum, list(subgraphs))
    types: dict[str, TypeInfo] = {}
    for definition in document.definitions:
        kind = _KINDS.get(type(definition))
        if kind is None:
            continue
        assert isinstance(definition, TypeDefinitionNode)
        name = definition.name.value
        if names.is_spec_type(name) or name.startswith("_"):
            continue
        types[name] = reader.read(definition, kind)
    root_types = _root_types(document, types)
    supergraph = Supergraph(subgraphs=subgraphs, types=types, root_types=root_types)
    supergraph.link_interface_objects()
    try:
        build_api_schema(supergraph)
    except (GraphQLError, TypeError, ValueError) as exc:
        raise CompositionError([f"The supergraph's API schema is invalid: {exc}"]) from exc
    return supergraph


def _root_types(document: DocumentNode, types: dict[str, TypeInfo]) -> dict[str, str]:
    root_types: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            for op in definition.operation_types:
                root_types[op.operation.value] = op.type.name.value
    for operation, default in (
        ("query", "Query"),
        ("mutation", "Mutation"),
        ("subscription", "Subscription"),
    ):
        if operation not in root_types and default in types:
            root_types[operation] = default
    return root_types


class _TypeReader:
    """One type definition of the supergraph SDL, with its `join__` directives, as TypeInfo."""

    def __init__(self, names: _Names, by_enum: dict[str, str], all_graphs: list[str]) -> None:
        self.names = names
        self.by_enum = by_enum
        self.all_graphs = all_graphs

    def read(self, node: TypeDefinitionNode, kind: TypeKind) -> TypeInfo:
        names = self.names
        info = TypeInfo(
            name=node.name.value,
            kind=kind,
            description=description_of(node),
            inaccessible=bool(_directives(node, names.inaccessible)),
            tags=_tags(node, names),
        )
        self._join_types(node, info)
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            self._object(node, info)
        elif isinstance(node, UnionTypeDefinitionNode):
            self._union(node, info)
        elif isinstance(node, EnumTypeDefinitionNode):
            self._enum(node, info)
        elif isinstance(node, InputObjectTypeDefinitionNode):
            for input_node in node.fields or ():
                info.input_fields[input_node.name.value] = _input_value(input_node, names)
        elif isinstance(node, ScalarTypeDefinitionNode):
            specified = _directives(node, "specifiedBy")
            info.specified_by = str(specified[0].get("url")) if specified else None
        return info

    def _join_types(self, node: TypeDefinitionNode, info: TypeInfo) -> None:
        """The subgraphs that define the type, its keys and @interfaceObject uses."""
        for join_type in _directives(node, self.names.d("type")):
            graph = self.by_enum.get(str(join_type.get("graph")))
            if graph is None:
                continue
            if graph not in info.subgraphs:
                info.subgraphs.append(graph)
            key = join_type.get("key")
            if key:
                resolvable = join_type.get("resolvable", True) is not False
                info.keys.setdefault(graph, []).append(KeyInfo(str(key), resolvable))
            if join_type.get("isInterfaceObject") is True:
                info.interface_object_in.append(graph)
        if not info.subgraphs:
            info.subgraphs = list(self.all_graphs)

    def _object(
        self, node: ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode, info: TypeInfo
    ) -> None:
        implements = _directives(node, self.names.d("implements"))
        if implements:
            for item in implements:
                graph = self.by_enum.get(str(item.get("graph")))
                if graph is not None:
                    info.interfaces.setdefault(graph, []).append(str(item.get("interface")))
        else:
            for graph in info.subgraphs:
                info.interfaces[graph] = [i.name.value for i in node.interfaces or ()]
        for field_node in node.fields or ():
            info.fields[field_node.name.value] = _read_field(
                field_node, info, self.names, self.by_enum
            )

    def _union(self, node: UnionTypeDefinitionNode, info: TypeInfo) -> None:
        members = _directives(node, self.names.d("unionMember"))
        if members:
            for item in members:
                graph = self.by_enum.get(str(item.get("graph")))
                if graph is not None:
                    info.members.setdefault(graph, []).append(str(item.get("member")))
        else:
            for graph in info.subgraphs:
                info.members[graph] = [t.name.value for t in node.types or ()]

    def _enum(self, node: EnumTypeDefinitionNode, info: TypeInfo) -> None:
        names = self.names
        for value in node.values or ():
            graphs = [
                self.by_enum[str(v.get("graph"))]
                for v in _directives(value, names.d("enumValue"))
                if str(v.get("graph")) in self.by_enum
            ]
            info.enum_values[value.name.value] = EnumValueInfo(
                name=value.name.value,
                description=description_of(value),
                deprecation=deprecation_of(value),
                inaccessible=bool(_directives(value, names.inaccessible)),
                tags=_tags(value, names),
                subgraphs=graphs or list(info.subgraphs),
            )


def _input_value(node: Node, names: _Names) -> InputValueInfo:
    return InputValueInfo(
        name=node.name.value,  # type: ignore[attr-defined]
        type=rename_type(node.type, {}),  # type: ignore[attr-defined]
        default=print_value(node.default_value),  # type: ignore[attr-defined]
        description=description_of(node),
        deprecation=deprecation_of(node),
        inaccessible=bool(_directives(node, names.inaccessible)),
        tags=_tags(node, names),
    )


def _read_field(
    node: FieldDefinitionNode, parent: TypeInfo, names: _Names, by_enum: dict[str, str]
) -> FieldInfo:
    type_ref = rename_type(node.type, {})
    info = FieldInfo(
        name=node.name.value,
        type=type_ref,
        args={a.name.value: _input_value(a, names) for a in node.arguments or ()},
        description=description_of(node),
        deprecation=deprecation_of(node),
        inaccessible=bool(_directives(node, names.inaccessible)),
        tags=_tags(node, names),
    )
    join_fields = _directives(node, names.d("field"))
    if not join_fields:
        for graph in parent.subgraphs:
            info.sources[graph] = FieldSource(subgraph=graph, type=type_ref)
        return info
    for item in join_fields:
        source_graph = by_enum.get(str(item.get("graph")))
        if source_graph is None:
            continue  # join__field without graph: fields of @interfaceObject, not routed
        override = item.get("override")
        info.sources[source_graph] = FieldSource(
            subgraph=source_graph,
            type=str(item.get("type") or type_ref),
            external=item.get("external") is True,
            requires=str(item["requires"]) if item.get("requires") else None,
            provides=str(item["provides"]) if item.get("provides") else None,
            shareable=True,
            override_from=str(override) if override else None,
            overridden=item.get("usedOverridden") is True,
        )
    return info
