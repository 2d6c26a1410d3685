"""Compose a supergraph from the subgraphs' own SDLs (`_service { sdl }`).

Reads Federation v2 subgraphs (`extend schema @link(url: ".../federation/v2.x", import: [...])`,
with imported, renamed or `federation__`-prefixed directives) and, loosely, Federation v1
subgraphs (no @link: bare directive names, every field shareable). Collects every problem
as a readable message and raises `CompositionError` with all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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

FEDERATION_DIRECTIVES = (
    "key",
    "shareable",
    "external",
    "requires",
    "provides",
    "inaccessible",
    "tag",
    "override",
    "extends",
    "interfaceObject",
    "composeDirective",
    "authenticated",
    "requiresScopes",
    "policy",
    "context",
    "fromContext",
    "cost",
    "listSize",
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
class _Subgraph:
    name: str
    fed2: bool
    directives: dict[str, str]  # local directive name -> canonical federation name
    renames: dict[str, str]  # subgraph root type name -> supergraph root type name

    def canonical(self, node: Node) -> dict[str, list[dict[str, object]]]:
        """Federation directives on a node, by canonical name, with their arguments."""
        found: dict[str, list[dict[str, object]]] = {}
        for directive in getattr(node, "directives", None) or ():
            canonical = self.directives.get(directive.name.value)
            if canonical is not None:
                found.setdefault(canonical, []).append(directive_args(directive))
        return found


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
        sub = _read_links(name, document)
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

    def _type_info(self, sub: _Subgraph, name: str, kind: TypeKind, node: Node) -> TypeInfo:
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

    def _add_type(self, sub: _Subgraph, name: str, kind: TypeKind, node: Node) -> None:
        info = self._type_info(sub, name, kind, node)
        found = sub.canonical(node)
        if "interfaceObject" in found:
            self.errors.append(
                f'Type "{name}" in subgraph "{sub.name}" uses @interfaceObject, which this '
                "gateway does not support yet"
            )
        if kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
            for key in found.get("key", []):
                fields = str(key.get("fields") or "").strip()
                resolvable = key.get("resolvable", True) is not False
                try:
                    info.keys.setdefault(sub.name, []).append(KeyInfo(fields, resolvable))
                except GraphQLError as exc:
                    self.errors.append(
                        f'@key(fields: "{fields}") on "{name}" in subgraph "{sub.name}" '
                        f"is not a valid field set: {exc.message}"
                    )
            interfaces = info.interfaces.setdefault(sub.name, [])
            for iface in getattr(node, "interfaces", None) or ():
                if iface.name.value not in interfaces:
                    interfaces.append(iface.name.value)
            type_shareable = "shareable" in found or not sub.fed2
            key_fields = _key_field_names(info.keys.get(sub.name, []))
            for field_node in getattr(node, "fields", None) or ():
                if name == "Query" and field_node.name.value in FEDERATION_ROOT_FIELDS:
                    continue
                self._add_field(sub, info, field_node, type_shareable, key_fields)
        elif kind is TypeKind.UNION:
            members = info.members.setdefault(sub.name, [])
            for member in getattr(node, "types", None) or ():
                member_name = sub.renames.get(member.name.value, member.name.value)
                if member_name not in members:
                    members.append(member_name)
        elif kind is TypeKind.ENUM:
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
        elif kind is TypeKind.INPUT_OBJECT:
            inputs = self.input_fields.setdefault(name, {}).setdefault(sub.name, {})
            for input_node in getattr(node, "fields", None) or ():
                inputs[input_node.name.value] = self._input_value(sub, input_node)
        elif kind is TypeKind.SCALAR:
            for directive in getattr(node, "directives", None) or ():
                if directive.name.value == "specifiedBy":
                    info.specified_by = str(directive_args(directive).get("url"))

    def _input_value(self, sub: _Subgraph, node: InputValueDefinitionNode) -> InputValueInfo:
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
        sub: _Subgraph,
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
            field_info.args = self._merge_inputs(
                f'argument of field "{type_name}.{field_name}"', resolving, intersect=True
            )
        for type_name, per_subgraph in self.input_fields.items():
            self.types[type_name].input_fields = self._merge_inputs(
                f'field of input type "{type_name}"', per_subgraph, intersect=True
            )
        for type_name, values in self.enum_values.items():
            self._merge_enum(self.types[type_name], values)

    def _merge_inputs(
        self, what: str, per_subgraph: dict[str, dict[str, InputValueInfo]], *, intersect: bool
    ) -> dict[str, InputValueInfo]:
        merged: dict[str, InputValueInfo] = {}
        subgraphs = list(per_subgraph)
        for sg, values in per_subgraph.items():
            for name, value in values.items():
                current = merged.get(name)
                if current is None:
                    merged[name] = replace(value, tags=list(value.tags))
                    continue
                combined = merge_type_refs(current.type, value.type, for_input=True)
                if combined is None:
                    self.errors.append(
                        f'The {what} "{name}" has incompatible types across subgraphs: '
                        f'"{value.type}" in subgraph "{sg}" but "{current.type}" elsewhere'
                    )
                    continue
                current.type = combined
                current.inaccessible = current.inaccessible or value.inaccessible
                current.description = current.description or value.description
                current.default = current.default if current.default is not None else value.default
        if intersect:
            for name in list(merged):
                missing = [sg for sg in subgraphs if name not in per_subgraph[sg]]
                if not missing:
                    continue
                if merged[name].type.endswith("!") and merged[name].default is None:
                    self.errors.append(
                        f'The {what} "{name}" is required in some subgraphs but missing in '
                        f'subgraph(s) "{", ".join(missing)}"'
                    )
                del merged[name]
        return merged

    def _merge_enum(
        self, info: TypeInfo, per_subgraph: dict[str, dict[str, EnumValueInfo]]
    ) -> None:
        as_input = info.name in self.input_usage
        as_output = info.name in self.output_usage
        sets = {sg: set(values) for sg, values in per_subgraph.items()}
        everywhere = set.intersection(*sets.values()) if sets else set()
        anywhere = set.union(*sets.values()) if sets else set()
        if as_input and as_output and everywhere != anywhere:
            self.errors.append(
                f'Enum "{info.name}" is used as both input and output type, so it must define '
                f"the same values in every subgraph; values not in all subgraphs: "
                f"{', '.join(sorted(anywhere - everywhere))}"
            )
        keep = everywhere if as_input and not as_output else anywhere
        for sg, values in per_subgraph.items():
            for name, value in values.items():
                if name not in keep:
                    continue
                current = info.enum_values.get(name)
                if current is None:
                    info.enum_values[name] = value
                else:
                    current.subgraphs.append(sg)
                    current.inaccessible = current.inaccessible or value.inaccessible
                    current.description = current.description or value.description


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


def _read_links(name: str, document: DocumentNode) -> _Subgraph:
    directives: dict[str, str] | None = None
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            args = directive_args(directive)
            url = str(args.get("url") or "")
            if "specs.apollo.dev/federation/" not in url:
                continue
            prefix = str(args.get("as") or "federation") + "__"
            directives = {prefix + d: d for d in FEDERATION_DIRECTIVES}
            for item in args.get("import") or []:
                if isinstance(item, str):
                    local = canonical = item.lstrip("@")
                elif isinstance(item, dict):
                    canonical = str(item.get("name", "")).lstrip("@")
                    local = str(item.get("as") or item.get("name", "")).lstrip("@")
                else:
                    continue
                if canonical in FEDERATION_DIRECTIVES:
                    directives[local] = canonical
    if directives is None:  # Federation v1 subgraph
        return _Subgraph(name, False, {d: d for d in FEDERATION_DIRECTIVES}, {})
    return _Subgraph(name, True, directives, {})


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
