"""The state of one request's execution: its context (variables, forwarded headers, timings)
and the data and errors merged so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_gateway.errors import ErrorDict
from crm_gateway.transport.files import Uploads


@dataclass(slots=True)
class RequestContext:
    variables: dict[str, Any]  # as the client sent them (forwarded verbatim)
    headers: dict[str, str]  # forwarded to subgraphs
    request_id: str
    uploads: Uploads | None = None  # files of a multipart request
    # time spent waiting for subgraphs on the plan's critical path (the round trips on the
    # plan's longest dependency chain): the request's latency minus this is the gateway's
    # overhead
    subgraph_seconds: float = 0.0
    fetch_seconds: dict[int, float] = field(default_factory=dict)  # fetch node id -> round trip


@dataclass
class ExecutionState:
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[ErrorDict] = field(default_factory=list)
    # A null at a path is explained by an error at that path or an ancestor (`covered`), or
    # by an error below it that bubbled up inside a subgraph (`explained`: error path prefixes).
    covered: set[tuple[str | int, ...]] = field(default_factory=set)
    explained: set[tuple[str | int, ...]] = field(default_factory=set)

    def add_error(self, error: ErrorDict) -> None:
        self.errors.append(error)
        path = error.get("path")
        if isinstance(path, list):
            self.covered.add(tuple(path))
            for end in range(1, len(path) + 1):
                self.explained.add(tuple(path[:end]))

    def is_explained(self, path: list[str | int]) -> bool:
        if tuple(path) in self.explained:
            return True
        return any(tuple(path[:end]) in self.covered for end in range(len(path), 0, -1))


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            for index, item in enumerate(value):
                existing = current[index]
                if isinstance(existing, dict) and isinstance(item, dict):
                    deep_merge(existing, item)
                else:
                    current[index] = item
        else:
            target[key] = value
