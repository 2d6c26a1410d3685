"""Validation rules run on a freshly composed supergraph model (readable error strings)."""

from __future__ import annotations

from graphql import FieldNode, GraphQLError, InlineFragmentNode, SelectionSetNode

from crm_gateway.composition.supergraph import (
    BUILTIN_SCALARS,
    FieldInfo,
    Supergraph,
    TypeInfo,
    TypeKind,
    named_type_of,
    parse_field_set,
)


def repr_names(names: object) -> list[str]:
    return [f'"{name}"' for name in names]  # type: ignore[attr-defined]


def apply_overrides(supergraph: Supergraph) -> list[str]:
    errors: list[str] = []
    for info in supergraph.types.values():
        for field in info.fields.values():
            for source in field.sources.values():
                origin = source.override_from
                if origin is None:
                    continue
                if origin == source.subgraph:
                    errors.append(
                        f'Field "{info.name}.{field.name}" in subgraph "{source.subgraph}" '
                        "overrides itself"
                    )
                elif origin in field.sources:
                    field.sources[origin].overridden = True
    return errors


def check_sharing(supergraph: Supergraph) -> list[str]:
    errors: list[str] = []
    for info in supergraph.types.values():
        if info.kind is not TypeKind.OBJECT:
            continue
        for field in info.fields.values():
            resolving = [s for s in field.sources.values() if s.resolvable]
            if not resolving and field.sources:
                errors.append(
                    f'Field "{info.name}.{field.name}" is marked @external in every subgraph '
                    f"that defines it ({', '.join(repr_names(field.sources))}); one subgraph "
                    "must resolve it"
                )
            if len(resolving) < 2:
                continue
            unshared = [s.subgraph for s in resolving if not s.shareable]
            if unshared:
                names = ", ".join(f'"{s.subgraph}"' for s in resolving)
                errors.append(
                    f'Non-shareable field "{info.name}.{field.name}" is resolved from several '
                    f"subgraphs ({names}) but is not marked @shareable in subgraph(s) "
                    + ", ".join(f'"{s}"' for s in unshared)
                )
    return errors


def _check_field_set(
    supergraph: Supergraph, type_name: str, subgraph: str, selection: SelectionSetNode
) -> str | None:
    """Return a reason when a field set refers to something the subgraph does not define."""
    info = supergraph.types.get(type_name)
    if info is None or not info.is_composite:
        return f'"{type_name}" is not a composite type'
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else type_name
            reason = _check_field_set(supergraph, condition, subgraph, node.selection_set)
        elif not isinstance(node, FieldNode):
            reason = "field sets may not contain fragment spreads"
        else:
            reason = _check_set_field(supergraph, info, subgraph, node)
        if reason:
            return reason
    return None


def _check_set_field(
    supergraph: Supergraph, info: TypeInfo, subgraph: str, node: FieldNode
) -> str | None:
    name = node.name.value
    if name == "__typename":
        return None
    field = info.fields.get(name)
    if field is None or subgraph not in field.sources:
        return f'field "{info.name}.{name}" is not defined in subgraph "{subgraph}"'
    if node.selection_set is not None:
        return _check_field_set(supergraph, field.named_type, subgraph, node.selection_set)
    if supergraph.is_composite(field.named_type):
        return f'field "{info.name}.{name}" is an object and needs a selection'
    return None


def check_field_sets(supergraph: Supergraph) -> list[str]:
    errors: list[str] = []
    for info in supergraph.types.values():
        for subgraph, keys in info.keys.items():
            for key in keys:
                reason = _check_field_set(supergraph, info.name, subgraph, key.selection)
                if reason:
                    errors.append(
                        f'@key(fields: "{key.fields}") on "{info.name}" in subgraph '
                        f'"{subgraph}" is invalid: {reason}'
                    )
        for field in info.fields.values():
            errors.extend(_check_directive_field_sets(supergraph, info, field))
    return errors


def _check_directive_field_sets(
    supergraph: Supergraph, info: TypeInfo, field: FieldInfo
) -> list[str]:
    """The @requires and @provides field sets of a field, in every subgraph."""
    errors: list[str] = []
    for source in field.sources.values():
        for directive, value, target in (
            ("requires", source.requires, info.name),
            ("provides", source.provides, field.named_type),
        ):
            if value is None:
                continue
            problem: str | None
            try:
                selection = parse_field_set(value)
            except GraphQLError as exc:
                problem = f"not a valid field set: {exc.message}"
            else:
                problem = _check_field_set(supergraph, target, source.subgraph, selection)
            if problem:
                errors.append(
                    f'@{directive}(fields: "{value}") on "{info.name}.{field.name}" in '
                    f'subgraph "{source.subgraph}" is invalid: {problem}'
                )
    return errors


def check_references(supergraph: Supergraph) -> list[str]:
    """Every referenced type exists; accessible elements do not reference inaccessible types."""
    errors: list[str] = []
    for info in supergraph.types.values():
        _check_type_references(supergraph, info, errors)
        for member in info.all_members():
            if member not in supergraph.types:
                errors.append(f'Union "{info.name}" has unknown member "{member}"')
    if "query" not in supergraph.root_types:
        errors.append("No subgraph defines a Query type")
    return errors


def _check_type_references(supergraph: Supergraph, info: TypeInfo, errors: list[str]) -> None:
    def check(where: str, type_ref: str, accessible: bool) -> None:
        named = named_type_of(type_ref)
        target = supergraph.types.get(named)
        if target is None:
            if named not in BUILTIN_SCALARS:
                errors.append(f'{where} refers to unknown type "{named}"')
        elif accessible and target.inaccessible:
            errors.append(f'{where} is accessible but its type "{named}" is @inaccessible')

    for field in info.fields.values():
        accessible = not (info.inaccessible or field.inaccessible)
        check(f'Field "{info.name}.{field.name}"', field.type, accessible)
        for arg in field.args.values():
            check(
                f'Argument "{info.name}.{field.name}({arg.name}:)"',
                arg.type,
                accessible and not arg.inaccessible,
            )
    for value in info.input_fields.values():
        check(
            f'Input field "{info.name}.{value.name}"',
            value.type,
            not (info.inaccessible or value.inaccessible),
        )


class _Reach:
    """Whether subgraphs can obtain fields for the objects they hold, the ways the planner
    does: the subgraph resolves the field; another subgraph that resolves it has a key whose
    fields can be obtained first; or (a value type) every field that returns the type in that
    subgraph is resolved by such a subgraph too, below an object it can fetch again (a root
    field, or an entity by key, re-walking the path)."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.sg = supergraph
        self.roots = supergraph.root_type_names()
        self.active: set[tuple[str, str, str]] = set()
        # subgraph -> object type -> the fields (parent type, field) that return it there
        self.edges: dict[str, dict[str, list[tuple[TypeInfo, str]]]] = {}
        for info in supergraph.types.values():
            if info.kind is not TypeKind.OBJECT:
                continue
            for field in info.fields.values():
                named = supergraph.types.get(field.named_type)
                if named is None or not named.is_composite:
                    continue
                for subgraph in field.resolving_subgraphs():
                    for target in supergraph.possible_types(named.name) or [named.name]:
                        by_type = self.edges.setdefault(subgraph, {})
                        by_type.setdefault(target, []).append((info, field.name))

    def field(self, subgraph: str, info: TypeInfo, name: str) -> bool:
        field = info.fields.get(name)
        if field is None:
            return False
        if field.resolvable_in(subgraph):
            return True
        marker = (subgraph, info.name, name)
        if marker in self.active:  # a key that needs itself
            return False
        self.active.add(marker)
        try:
            targets = field.resolving_subgraphs()
            return any(self.refetch(subgraph, info, t) for t in targets) or self._by_path(
                subgraph, info, targets, name
            )
        finally:
            self.active.discard(marker)

    def refetch(self, subgraph: str, info: TypeInfo, target: str) -> bool:
        """Can `target` be sent the objects of `info` that `subgraph` holds, by a key?"""
        held = {
            node.name.value
            for key in info.resolvable_keys(subgraph)
            for node in key.selection.selections
            if isinstance(node, FieldNode)
        }  # objects received through `_entities` come with these
        return any(
            all(
                node.name.value in held or self.field(subgraph, info, node.name.value)
                for node in key.selection.selections
                if isinstance(node, FieldNode) and node.name.value != "__typename"
            )
            for key in info.resolvable_keys(target)
        )

    def _by_path(self, subgraph: str, info: TypeInfo, targets: list[str], name: str) -> bool:
        edges = self.edges.get(subgraph, {}).get(info.name, [])
        if not edges:
            # the subgraph never returns such objects itself (it may receive them through
            # `_entities`): the field is planned from the fetch that returned them
            return True
        return all(
            any(self._below(subgraph, parent, field, t) for t in targets) for parent, field in edges
        )

    def _below(self, subgraph: str, parent: TypeInfo, field: str, target: str) -> bool:
        """Can `target` resolve `parent.field` for the objects of `parent` that `subgraph`
        holds (re-walking the path from an object it can fetch again)?"""
        if not parent.fields[field].resolvable_in(target):
            return False
        if self.sg.is_abstract(parent.fields[field].named_type):
            return False  # (the planner does not re-walk through abstract fields)
        if parent.name in self.roots:
            return True
        if self.refetch(subgraph, parent, target):
            return True
        marker = (subgraph, parent.name, "@" + target)
        if marker in self.active:
            return False
        self.active.add(marker)
        try:
            edges = self.edges.get(subgraph, {}).get(parent.name, [])
            return bool(edges) and all(self._below(subgraph, p, f, target) for p, f in edges)
        finally:
            self.active.discard(marker)


def check_reachability(supergraph: Supergraph) -> list[str]:
    """Each field of an object type can be obtained wherever the type is defined (`_Reach`)."""
    errors: list[str] = []
    roots = supergraph.root_type_names()
    reach = _Reach(supergraph)
    for info in supergraph.types.values():
        if info.kind is not TypeKind.OBJECT or info.name in roots:
            continue
        for subgraph in info.subgraphs:
            for field in info.fields.values():
                targets = field.resolving_subgraphs()
                if not targets:
                    continue  # already reported by check_sharing
                if reach.field(subgraph, info, field.name):
                    continue
                errors.append(
                    f'Field "{info.name}.{field.name}" cannot be reached from subgraph '
                    f'"{subgraph}": it is resolved only by subgraph(s) '
                    f'"{", ".join(targets)}", which have no resolvable @key on "{info.name}" '
                    f'whose fields subgraph "{subgraph}" can provide'
                )
    return errors


def run_checks(supergraph: Supergraph) -> list[str]:
    errors = apply_overrides(supergraph)
    errors += check_references(supergraph)
    if errors:
        return errors
    errors += check_sharing(supergraph)
    errors += check_field_sets(supergraph)
    errors += check_reachability(supergraph)
    if errors:
        return errors
    from crm_gateway.composition.api_schema import build_api_schema

    try:
        build_api_schema(supergraph)
    except (GraphQLError, TypeError, ValueError) as exc:
        errors.append(f"The composed API schema is invalid: {exc}")
    return errors
