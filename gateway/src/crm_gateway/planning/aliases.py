"""Aliases for fields that would conflict in a subgraph fetch.

A subgraph may declare one field differently on two types (`User.id: ID` and `Admin.id: ID!`).
Selected under `... on User` and `... on Admin` in one selection set, the two fields share a
response name but not a type, which GraphQL validation rejects ("fields conflict"). Such fields
inside type-conditioned fragments are sent under an alias unique to their type
(`__gwa_Admin_id`), and the executor renames the keys back in the subgraph's answer before
merging it.
"""

from __future__ import annotations

from crm_gateway.composition.supergraph import Supergraph, named_type_of
from crm_gateway.planning.selection import SubField, SubSelection

ALIAS_PREFIX = "__gwa_"


def alias_conflicts(
    selection: SubSelection, owner: str | None, subgraph: str, supergraph: Supergraph
) -> dict[str, str]:
    """Alias conflicting fields in `selection` (whose objects are of type `owner`, None for
    `_entities`), in place; returns alias -> original response key."""
    renames: dict[str, str] = {}
    _walk(selection, owner, subgraph, supergraph, renames)
    return renames


def _field_type(supergraph: Supergraph, owner: str | None, name: str, subgraph: str) -> str | None:
    info = supergraph.types.get(owner) if owner else None
    field = info.fields.get(name) if info is not None else None
    if field is None:
        return None
    source = field.sources.get(subgraph)
    return source.type if source is not None else field.type


def _shape(supergraph: Supergraph, type_: str | None) -> str | None:
    """What GraphQL's "same response shape" rule compares: list and non-null wrappers, and the
    named type only for leaves (two object or interface types may differ)."""
    if type_ is None:
        return None
    named = named_type_of(type_)
    return type_ if not supergraph.is_composite(named) else type_.replace(named, "*")


Entries = dict[str, list[tuple[str | None, SubField]]]
"""Fields of one selection set, fragments included, by response key: (owner type, field)."""


def _walk(
    selection: SubSelection,
    owner: str | None,
    subgraph: str,
    supergraph: Supergraph,
    renames: dict[str, str],
) -> None:
    entries: Entries = {}
    _collect(selection, owner, entries)
    for key, items in entries.items():
        if len(items) < 2 or key == "__typename":
            continue
        shapes = {
            _shape(supergraph, _field_type(supergraph, o, f.name, subgraph)) for o, f in items
        }
        if len(shapes) < 2:
            continue
        for item_owner, item in items:
            if item_owner is not None and item_owner != owner:
                alias = f"{ALIAS_PREFIX}{item_owner}_{key}"
                renames[alias] = key
                item.response_key = alias
    for key_items in entries.values():
        for item_owner, item in key_items:
            if item.selection is None:
                continue
            field_type = _field_type(supergraph, item_owner, item.name, subgraph)
            inner = named_type_of(field_type) if field_type else None
            _walk(item.selection, inner, subgraph, supergraph, renames)


def _collect(current: SubSelection, owner: str | None, entries: Entries) -> None:
    for item in current.fields.values():
        entries.setdefault(item.response_key, []).append((owner, item))
    for (condition, _), fragment in current.fragments.items():
        _collect(fragment, condition or owner, entries)


def rename_keys(value: object, renames: dict[str, str]) -> None:
    """Rename aliased keys back, in place, everywhere in a subgraph's answer."""
    if isinstance(value, list):
        for item in value:
            rename_keys(item, renames)
    elif isinstance(value, dict):
        for alias in [k for k in value if k in renames]:
            _put(value, renames[alias], value.pop(alias))
        for item in value.values():
            rename_keys(item, renames)


def _put(target: dict[str, object], key: str, value: object) -> None:
    current = target.get(key)
    if isinstance(current, dict) and isinstance(value, dict):
        for inner_key, inner in value.items():
            _put(current, inner_key, inner)
    else:
        target[key] = value
