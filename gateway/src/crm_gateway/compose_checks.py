"""Validation rules run on a freshly composed supergraph model (readable error strings)."""

from __future__ import annotations

from graphql import FieldNode, GraphQLError, InlineFragmentNode, SelectionSetNode

from crm_gateway.supergraph import (
    BUILTIN_SCALARS,
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
            if reason:
                return reason
            continue
        if not isinstance(node, FieldNode):
            return "field sets may not contain fragment spreads"
        name = node.name.value
        if name == "__typename":
            continue
        field = info.fields.get(name)
        if field is None or subgraph not in field.sources:
            return f'field "{type_name}.{name}" is not defined in subgraph "{subgraph}"'
        if node.selection_set is not None:
            reason = _check_field_set(supergraph, field.named_type, subgraph, node.selection_set)
            if reason:
                return reason
        elif supergraph.is_composite(field.named_type):
            return f'field "{type_name}.{name}" is an object and needs a selection'
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

    def check(where: str, type_ref: str, accessible: bool) -> None:
        named = named_type_of(type_ref)
        target = supergraph.types.get(named)
        if target is None:
            if named not in BUILTIN_SCALARS:
                errors.append(f'{where} refers to unknown type "{named}"')
        elif accessible and target.inaccessible:
            errors.append(f'{where} is accessible but its type "{named}" is @inaccessible')

    for info in supergraph.types.values():
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
        for member in info.all_members():
            if member not in supergraph.types:
                errors.append(f'Union "{info.name}" has unknown member "{member}"')
    if "query" not in supergraph.root_types:
        errors.append("No subgraph defines a Query type")
    return errors


def _locally_provides(info: TypeInfo, subgraph: str, selection: SelectionSetNode) -> bool:
    for node in selection.selections:
        if isinstance(node, FieldNode) and node.name.value != "__typename":
            field = info.fields.get(node.name.value)
            if field is None or not field.resolvable_in(subgraph):
                return False
    return True


def check_reachability(supergraph: Supergraph) -> list[str]:
    """Each field of an object type is resolvable wherever the type is defined.

    Either the subgraph resolves it itself, or some subgraph that resolves it has a resolvable
    @key on the type whose fields the first subgraph can provide.
    """
    errors: list[str] = []
    roots = supergraph.root_type_names()
    for info in supergraph.types.values():
        if info.kind is not TypeKind.OBJECT or info.name in roots:
            continue
        for subgraph in info.subgraphs:
            for field in info.fields.values():
                if field.resolvable_in(subgraph):
                    continue
                targets = field.resolving_subgraphs()
                if any(
                    _locally_provides(info, subgraph, key.selection)
                    for target in targets
                    for key in info.resolvable_keys(target)
                ):
                    continue
                if not targets:
                    continue  # already reported by check_sharing
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
    from crm_gateway.api_schema import build_api_schema

    try:
        build_api_schema(supergraph)
    except (GraphQLError, TypeError, ValueError) as exc:
        errors.append(f"The composed API schema is invalid: {exc}")
    return errors
