"""Compose a supergraph from the subgraphs' own SDLs (`_service { sdl }`).

Reads Federation v2 subgraphs (`extend schema @link(url: ".../federation/v2.x", import: [...])`,
with imported, renamed or `federation__`-prefixed directives) and, loosely, Federation v1
subgraphs (no @link: bare directive names, every field shareable). Collects every problem
as a readable message and raises `CompositionError` with all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import GraphQLError, parse
from graphql.language import (
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    Node,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)

from crm_gateway.composition.checks import run_checks
from crm_gateway.composition.federation import Found, SubgraphSchema, read_links
from crm_gateway.composition.merge import merge_enum, merge_inputs
from crm_gateway.composition.sdl import (
    deprecation_of,
    description_of,
    directive_args,
    merge_type_refs,
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
    named_type_of,
)

ROOT_DEFAULTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
FEDERATION_ROOT_FIELDS = frozenset({"_entities", "_service"})

_KINDS: dict[type[Node], TypeKind] = {
    ObjectTypeDefinitionNode: TypeKind.OBJECT,
    ObjectTypeExtensionNode: TypeKind.OBJECT,
    InterfaceTypeDefinitionNode: TypeKind.INTERFACE,
    InterfaceTypeExtensionNode: TypeKind.INTERFACE,
    UnionTypeDefinitionNode: TypeKind.UNION,
    UnionTypeExtensionNode: TypeKind.UNION,
    EnumTypeDefinitionNode: TypeKind.ENUM,
    EnumTypeExtensionNode: TypeKind.ENUM,
    InputObjectTypeDefinitionNode: TypeKind.INPUT_OBJECT,
    InputObjectTypeExtensionNode: TypeKind.INPUT_OBJECT,
    ScalarTypeDefinitionNode: TypeKind.SCALAR,
    ScalarTypeExtensionNode: TypeKind.SCALAR,
}


def is_federation_internal_type(name: str) -> bool:
    return name.startswith("_") or name.startswith(("link__", "federation__", "join__"))


@dataclass(slots=True)
class SubgraphSDL:
    name: str
    url: str
    sdl: str


@dataclass
class _Composer:
    types: dict[str, TypeInfo] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    root_types: dict[str, str] = field(default_factory=dict)
    field_args: dict[tuple[str, str], dict[str, dict[str, InputValueInfo]]] = field(
        default_factory=dict
    )
    input_fields: dict[str, dict[str, dict[str, InputValueInfo]]] = field(default_factory=dict)
    enum_values: dict[str, dict[str, dict[str, EnumValueInfo]]] = field(default_factory=dict)
    input_usage: set[str] = field(default_factory=set)
    output_usage: set[str] = field(default_factory=set)

    # ---- reading one subgraph -------------------------------------------------------------

    def add_subgraph(self, name: str, document: DocumentNode) -> None:
        sub = read_links(name, document)
        for definition in document.definitions:
            if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
                for op in definition.operation_types or ():
                    key = op.operation.value
                    sub.renames[op.type.name.value] = ROOT_DEFAULTS[key]
        for key, default in ROOT_DEFAULTS.items():
            if default not in sub.renames.values() and _defines(document, default):
                sub.renames[default] = default
            if default in sub.renames.values():
                self.root_types[key] = default
        for definition in document.definitions:
            kind = _KINDS.get(type(definition))
            if kind is None:
                continue
            type_name = definition.name.value  # type: ignore[attr-defined]
            if is_federation_internal_type(type_name):
                continue
            self._add_type(sub, sub.renames.get(type_name, type_name), kind, definition)

    def _type_info(self, sub: SubgraphSchema, name: str, kind: TypeKind, node: Node) -> TypeInfo:
        info = self.types.get(name)
        if info is None:
            info = self.types[name] = TypeInfo(name=name, kind=kind)
        elif info.kind is not kind:
            self.errors.append(
                f'Type "{name}" is a {kind.value.lower().replace("_", " ")} type in subgraph '
                f'"{sub.name}" but a {info.kind.value.lower().replace("_", " ")} type in '
                f'subgraph(s) "{", ".join(info.subgraphs)}"'
            )
        if sub.name not in info.subgraphs:
            info.subgraphs.append(sub.name)
        info.description = info.description or description_of(node)
        found = sub.canonical(node)
        if "inaccessible" in found:
            info.inaccessible = True
        for tag in found.get("tag", []):
            if str(tag.get("name")) not in info.tags:
                info.tags.append(str(tag.get("name")))
        return info

    def _add_type(self, sub: SubgraphSchema, name: str, kind: TypeKind, node: Node) -> None:
        info = self._type_info(sub, name, kind, node)
        found = sub.canonical(node)
        if "interfaceObject" in found:
            self.errors.append(
                f'Type "{name}" in subgraph "{sub.name}" uses @interfaceObject, which this '
                "gateway does not support yet"
            )
        if kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
            self._add_object(sub, info, node, found)
        elif kind is TypeKind.UNION:
            self._add_union(sub, info, node)
        elif kind is TypeKind.ENUM:
            self._add_enum(sub, name, node)
        elif kind is TypeKind.INPUT_OBJECT:
            inputs = self.input_fields.setdefault(name, {}).setdefault(sub.name, {})
            for input_node in getattr(node, "fields", None) or ():
                inputs[input_node.name.value] = self._input_value(sub, input_node)
        elif kind is TypeKind.SCALAR:
            for directive in getattr(node, "directives", None) or ():
                if directive.name.value == "specifiedBy":
                    info.specified_by = str(directive_args(directive).get("url"))

    def _add_object(self, sub: SubgraphSchema, info: TypeInfo, node: Node, found: Found) -> None:
        """An object or interface type: its keys, interfaces and fields in one subgraph."""
        for key in found.get("key", []):
            fields = str(key.get("fields") or "").strip()
            resolvable = key.get("resolvable", True) is not False
            try:
                info.keys.setdefault(sub.name, []).append(KeyInfo(fields, resolvable))
            except GraphQLError as exc:
                self.errors.append(
                    f'@key(fields: "{fields}") on "{info.name}" in subgraph "{sub.name}" '
                    f"is not a valid field set: {exc.message}"
                )
        interfaces = info.interfaces.setdefault(sub.name, [])
        for iface in getattr(node, "interfaces", None) or ():
            if iface.name.value not in interfaces:
                interfaces.append(iface.name.value)
        type_shareable = "shareable" in found or not sub.fed2
        key_fields = _key_field_names(info.keys.get(sub.name, []))
        for field_node in getattr(node, "fields", None) or ():
            if info.name == "Query" and field_node.name.value in FEDERATION_ROOT_FIELDS:
                continue
            self._add_field(sub, info, field_node, type_shareable, key_fields)

    def _add_union(self, sub: SubgraphSchema, info: TypeInfo, node: Node) -> None:
        members = info.members.setdefault(sub.name, [])
        for member in getattr(node, "types", None) or ():
            member_name = sub.renames.get(member.name.value, member.name.value)
            if member_name not in members:
                members.append(member_name)

    def _add_enum(self, sub: SubgraphSchema, name: str, node: Node) -> None:
        values = self.enum_values.setdefault(name, {}).setdefault(sub.name, {})
        for value_node in getattr(node, "values", None) or ():
            value_found = sub.canonical(value_node)
            values[value_node.name.value] = EnumValueInfo(
                name=value_node.name.value,
                description=description_of(value_node),
                deprecation=deprecation_of(value_node),
                inaccessible="inaccessible" in value_found,
                tags=[str(t.get("name")) for t in value_found.get("tag", [])],
                subgraphs=[sub.name],
            )

    def _input_value(self, sub: SubgraphSchema, node: InputValueDefinitionNode) -> InputValueInfo:
        found = sub.canonical(node)
        type_ref = rename_type(node.type, sub.renames)
        self.input_usage.add(named_type_of(type_ref))
        return InputValueInfo(
            name=node.name.value,
            type=type_ref,
            default=print_value(node.default_value),
            description=description_of(node),
            deprecation=deprecation_of(node),
            inaccessible="inaccessible" in found,
            tags=[str(t.get("name")) for t in found.get("tag", [])],
        )

    def _add_field(
        self,
        sub: SubgraphSchema,
        info: TypeInfo,
        node: FieldDefinitionNode,
        type_shareable: bool,
        key_fields: set[str],
    ) -> None:
        found = sub.canonical(node)
        name = node.name.value
        type_ref = rename_type(node.type, sub.renames)
        self.output_usage.add(named_type_of(type_ref))
        external = "external" in found and not (not sub.fed2 and name in key_fields)
        override = found.get("override", [{}])[0].get("from") if "override" in found else None
        source = FieldSource(
            subgraph=sub.name,
            type=type_ref,
            external=external,
            requires=_field_set_arg(found, "requires"),
            provides=_field_set_arg(found, "provides"),
            shareable=type_shareable or "shareable" in found or name in key_fields,
            override_from=str(override) if override else None,
        )
        existing = info.fields.get(name)
        if existing is None:
            existing = info.fields[name] = FieldInfo(name=name, type=type_ref)
        elif not external and all(s.external for s in existing.sources.values()):
            existing.type = type_ref  # @external copies do not decide the type
        elif not external:
            merged = merge_type_refs(existing.type, type_ref, for_input=False)
            if merged is None:
                self.errors.append(
                    f'Field "{info.name}.{name}" has incompatible types across subgraphs: '
                    f'"{type_ref}" in subgraph "{sub.name}" but '
                    f'"{existing.type}" in subgraph(s) "{", ".join(existing.sources)}"'
                )
            else:
                existing.type = merged
        existing.sources[sub.name] = source
        existing.description = existing.description or description_of(node)
        existing.deprecation = existing.deprecation or deprecation_of(node)
        if "inaccessible" in found:
            existing.inaccessible = True
        for tag in found.get("tag", []):
            if str(tag.get("name")) not in existing.tags:
                existing.tags.append(str(tag.get("name")))
        args = self.field_args.setdefault((info.name, name), {})
        args[sub.name] = {a.name.value: self._input_value(sub, a) for a in node.arguments or ()}

    # ---- merging across subgraphs -----------------------------------------------------------

    def merge(self) -> None:
        for (type_name, field_name), per_subgraph in self.field_args.items():
            field_info = self.types[type_name].fields[field_name]
            resolving = {
                sg: args for sg, args in per_subgraph.items() if not field_info.sources[sg].external
            } or per_subgraph
            field_info.args = merge_inputs(
                f'argument of field "{type_name}.{field_name}"', resolving, self.errors
            )
        for type_name, per_subgraph in self.input_fields.items():
            self.types[type_name].input_fields = merge_inputs(
                f'field of input type "{type_name}"', per_subgraph, self.errors
            )
        for type_name, values in self.enum_values.items():
            usage = (type_name in self.input_usage, type_name in self.output_usage)
            merge_enum(self.types[type_name], values, usage, self.errors)


def _defines(document: DocumentNode, type_name: str) -> bool:
    return any(
        getattr(getattr(d, "name", None), "value", None) == type_name for d in document.definitions
    )


def _key_field_names(keys: list[KeyInfo]) -> set[str]:
    names: set[str] = set()
    for key in keys:
        names.update(s.name.value for s in key.selection.selections if hasattr(s, "name"))
    return names


def _field_set_arg(found: dict[str, list[dict[str, object]]], directive: str) -> str | None:
    if directive not in found:
        return None
    value = found[directive][0].get("fields")
    return str(value).strip() if value else None


def compose(subgraphs: list[SubgraphSDL]) -> Supergraph:
    """Compose subgraph SDLs into a supergraph model, or raise `CompositionError`."""
    composer = _Composer()
    if not subgraphs:
        raise CompositionError(["No subgraphs were given"])
    seen: set[str] = set()
    for subgraph in subgraphs:
        if subgraph.name in seen:
            composer.errors.append(f'Subgraph name "{subgraph.name}" is used twice')
            continue
        seen.add(subgraph.name)
        try:
            document = parse(subgraph.sdl, no_location=True)
        except GraphQLError as exc:
            composer.errors.append(f'Subgraph "{subgraph.name}" has invalid SDL: {exc.message}')
            continue
        composer.add_subgraph(subgraph.name, document)
    if composer.errors:
        raise CompositionError(composer.errors)
    composer.merge()
    supergraph = Supergraph(
        subgraphs={s.name: SubgraphInfo(s.name, s.url) for s in subgraphs},
        types=composer.types,
        root_types=composer.root_types,
    )
    errors = composer.errors + run_checks(supergraph)
    if errors:
        raise CompositionError(errors)
    return supergraph
