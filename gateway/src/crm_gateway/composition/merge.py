"""Merging what several subgraphs declare for one element: arguments and input fields (types
made compatible, intersected), enum values (by how the enum is used)."""

from __future__ import annotations

from dataclasses import replace

from crm_gateway.composition.sdl import merge_type_refs
from crm_gateway.composition.supergraph import EnumValueInfo, InputValueInfo, TypeInfo


def merge_inputs(
    what: str, per_subgraph: dict[str, dict[str, InputValueInfo]], errors: list[str]
) -> dict[str, InputValueInfo]:
    """One element's input values (arguments or input fields) across subgraphs: types made
    compatible, only those every subgraph declares (a required one missing somewhere is an
    error)."""
    merged: dict[str, InputValueInfo] = {}
    for sg, values in per_subgraph.items():
        for name, value in values.items():
            current = merged.get(name)
            if current is None:
                merged[name] = replace(value, tags=list(value.tags))
                continue
            combined = merge_type_refs(current.type, value.type, for_input=True)
            if combined is None:
                errors.append(
                    f'The {what} "{name}" has incompatible types across subgraphs: '
                    f'"{value.type}" in subgraph "{sg}" but "{current.type}" elsewhere'
                )
                continue
            current.type = combined
            current.inaccessible = current.inaccessible or value.inaccessible
            current.description = current.description or value.description
            current.default = current.default if current.default is not None else value.default
    _intersect(what, merged, per_subgraph, errors)
    return merged


def _intersect(
    what: str,
    merged: dict[str, InputValueInfo],
    per_subgraph: dict[str, dict[str, InputValueInfo]],
    errors: list[str],
) -> None:
    """Drop the values some subgraph does not declare (an error when one is required)."""
    for name in list(merged):
        missing = [sg for sg in per_subgraph if name not in per_subgraph[sg]]
        if not missing:
            continue
        if merged[name].type.endswith("!") and merged[name].default is None:
            errors.append(
                f'The {what} "{name}" is required in some subgraphs but missing in '
                f'subgraph(s) "{", ".join(missing)}"'
            )
        del merged[name]


def merge_enum(
    info: TypeInfo,
    per_subgraph: dict[str, dict[str, EnumValueInfo]],
    usage: tuple[bool, bool],
    errors: list[str],
) -> None:
    """An enum's values: every subgraph's when it is an output type only, those of all
    subgraphs when it is an input type only; the same everywhere when it is both."""
    as_input, as_output = usage
    sets = {sg: set(values) for sg, values in per_subgraph.items()}
    everywhere = set.intersection(*sets.values()) if sets else set()
    anywhere = set.union(*sets.values()) if sets else set()
    if as_input and as_output and everywhere != anywhere:
        errors.append(
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
