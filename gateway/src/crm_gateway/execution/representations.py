"""Entity representations: the objects at a fetch's path in the data merged so far, projected
through the fetch's templates (key and `@requires` fields), deduplicated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from crm_gateway.composition.supergraph import Supergraph
from crm_gateway.errors import Path
from crm_gateway.planning.plan import Fetch, PathSegment, Template


def collect_objects(
    data: dict[str, Any], path: tuple[PathSegment, ...]
) -> list[tuple[dict[str, Any], Path]]:
    """Every object at `path` in the merged data (lists flattened), with its response path."""
    found: list[tuple[dict[str, Any], Path]] = []

    def walk(value: Any, index: int, current: Path) -> None:
        if isinstance(value, list):
            for position, item in enumerate(value):
                walk(item, index, [*current, position])
            return
        if not isinstance(value, dict):
            return
        if index == len(path):
            found.append((value, current))
            return
        segment = path[index]
        if segment.types is not None:
            typename = value.get("__typename")
            if typename is not None and typename not in segment.types:
                return
        if segment.key in value:
            walk(value[segment.key], index + 1, [*current, segment.key])

    walk(data, 0, [])
    return found


def _project(value: Any, template: Template) -> Any:
    if isinstance(value, list):
        return [_project(item, template) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    if "__typename" in value:
        result["__typename"] = value["__typename"]
    for name, (key, nested) in template.items():
        if key not in value:  # a field of another type's fragment
            continue
        item = value[key]
        result[name] = _project(item, nested) if nested is not None else item
    return result


def representation(typename: str, template: Template, obj: dict[str, Any]) -> dict[str, Any] | None:
    rep: dict[str, Any] = {"__typename": typename}
    for name, (key, nested) in template.items():
        if key not in obj:
            return None
        value = obj[key]
        rep[name] = _project(value, nested) if nested is not None and value is not None else value
    return rep


@dataclass(slots=True)
class Collected:
    """Representations for one entity fetch and the objects each one answers for."""

    fetch: Fetch
    representations: list[dict[str, Any]] = field(default_factory=list)
    owners: list[list[tuple[dict[str, Any], Path]]] = field(default_factory=list)


def collect_representations(
    fetch: Fetch, data: dict[str, Any], supergraph: Supergraph | None = None
) -> Collected:
    collected = Collected(fetch)
    index: dict[bytes, int] = {}
    single = next(iter(fetch.templates)) if len(fetch.templates) == 1 else None
    for obj, path in collect_objects(data, fetch.path):
        typename = obj.get("__typename") or single
        template = fetch.templates.get(typename) if typename else None
        if template is None and typename is not None and supergraph is not None:
            # planned for an @interfaceObject, and an earlier fetch already resolved the
            # object's concrete type: the subgraph still knows it by the interface's name
            for planned, candidate in fetch.templates.items():
                if supergraph.is_abstract(planned) and typename in supergraph.possible_types(
                    planned
                ):
                    template, typename = candidate, planned
                    break
        if template is None or typename is None:
            continue
        rep = representation(fetch.rep_typenames.get(typename, typename), template, obj)
        if rep is None:
            continue
        key = orjson.dumps(rep)
        position = index.get(key)
        if position is None:
            position = index[key] = len(collected.representations)
            collected.representations.append(rep)
            collected.owners.append([])
        collected.owners[position].append((obj, path))
    return collected
