"""The public API schema: the supergraph without federation internals or @inaccessible parts."""

from __future__ import annotations

from graphql import GraphQLSchema, build_schema, print_ast, validate_schema
from graphql.language import StringValueNode

from crm_gateway.composition.supergraph import (
    BUILTIN_SCALARS,
    FieldInfo,
    InputValueInfo,
    Supergraph,
    TypeInfo,
    TypeKind,
)

_KEYWORDS = {
    TypeKind.OBJECT: "type",
    TypeKind.INTERFACE: "interface",
    TypeKind.UNION: "union",
    TypeKind.ENUM: "enum",
    TypeKind.INPUT_OBJECT: "input",
    TypeKind.SCALAR: "scalar",
}


def _description(text: str | None, indent: str) -> str:
    if not text:
        return ""
    return indent + print_ast(StringValueNode(value=text, block=True)) + "\n"


def _deprecated(reason: str | None) -> str:
    if reason is None:
        return ""
    return f" @deprecated(reason: {print_ast(StringValueNode(value=reason))})"


def _input_value(value: InputValueInfo) -> str:
    default = f" = {value.default}" if value.default is not None else ""
    return f"{value.name}: {value.type}{default}{_deprecated(value.deprecation)}"


def _arguments(args: list[InputValueInfo]) -> str:
    """The argument list: on one line, or one argument a line when any has a description."""
    if not args:
        return ""
    if not any(a.description for a in args):
        return "(" + ", ".join(_input_value(a) for a in args) + ")"
    lines = "".join(_description(a.description, "    ") + f"    {_input_value(a)}\n" for a in args)
    return "(\n" + lines + "  )"


def _field(field: FieldInfo) -> str:
    args = [a for a in field.args.values() if not a.inaccessible]
    return (
        _description(field.description, "  ")
        + f"  {field.name}{_arguments(args)}: {field.type}{_deprecated(field.deprecation)}\n"
    )


def _print_type(supergraph: Supergraph, info: TypeInfo) -> str:
    head = _description(info.description, "") + f"{_KEYWORDS[info.kind]} {info.name}"

    def accessible(name: str) -> bool:
        target = supergraph.types.get(name)
        return target is not None and not target.inaccessible

    if info.kind in (TypeKind.OBJECT, TypeKind.INTERFACE):
        interfaces = [i for i in info.all_interfaces() if accessible(i)]
        if interfaces:
            head += " implements " + " & ".join(interfaces)
        body = "".join(_field(f) for f in info.fields.values() if not f.inaccessible)
        return f"{head} {{\n{body}}}\n"
    if info.kind is TypeKind.UNION:
        members = [m for m in info.all_members() if accessible(m)]
        return f"{head} = {' | '.join(members)}\n"
    if info.kind is TypeKind.ENUM:
        values = "".join(
            _description(v.description, "  ") + f"  {v.name}{_deprecated(v.deprecation)}\n"
            for v in info.enum_values.values()
            if not v.inaccessible
        )
        return f"{head} {{\n{values}}}\n"
    if info.kind is TypeKind.INPUT_OBJECT:
        fields = "".join(
            _description(v.description, "  ") + f"  {_input_value(v)}\n"
            for v in info.input_fields.values()
            if not v.inaccessible
        )
        return f"{head} {{\n{fields}}}\n"
    specified = (
        f" @specifiedBy(url: {print_ast(StringValueNode(value=info.specified_by))})"
        if info.specified_by
        else ""
    )
    return head + specified + "\n"


def print_api_sdl(supergraph: Supergraph) -> str:
    roots = " ".join(f"{op}: {name}" for op, name in supergraph.root_types.items())
    parts = [f"schema {{ {roots} }}\n"]
    for info in supergraph.types.values():
        if info.inaccessible or (info.kind is TypeKind.SCALAR and info.name in BUILTIN_SCALARS):
            continue
        parts.append(_print_type(supergraph, info))
    return "\n".join(parts)


def build_api_schema(supergraph: Supergraph) -> GraphQLSchema:
    """Build and validate the client-facing schema; raises ValueError when it is invalid."""
    schema = build_schema(print_api_sdl(supergraph), no_location=True)
    problems = validate_schema(schema)
    if problems:
        raise ValueError("; ".join(p.message for p in problems))
    return schema
