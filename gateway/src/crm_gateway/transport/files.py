"""Files of a multipart request (GraphQL multipart request spec) as they are forwarded to a
subgraph: the variables with `null` where files go, the spec's `map` and the files it uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


@dataclass(slots=True)
class Uploads:
    files: dict[str, UploadedFile] = field(default_factory=dict)  # part name -> file
    # part name -> variable paths (first item a variable name, then keys / list indexes)
    paths: dict[str, list[list[str | int]]] = field(default_factory=dict)

    def variable_names(self) -> set[str]:
        return {str(path[0]) for paths in self.paths.values() for path in paths}

    def for_variables(
        self, variables: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, list[str]], list[tuple[str, UploadedFile]]]:
        """What to send to a subgraph whose operation takes `variables`: the variables with
        `null` where files go, the spec's `map` and the files (only those it uses)."""
        sent = _copy(variables)
        mapping: dict[str, list[str]] = {}
        files: list[tuple[str, UploadedFile]] = []
        for name, paths in self.paths.items():
            used = [path for path in paths if path[0] in variables]
            if not used:
                continue
            for path in used:
                set_path(sent, path, None)
            mapping[name] = [".".join(["variables", *map(str, path)]) for path in used]
            files.append((name, self.files[name]))
        return sent, mapping, files


def set_path(target: Any, path: list[str | int], value: Any) -> None:
    for segment in path[:-1]:
        target = target[segment]
    target[path[-1]] = value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value
