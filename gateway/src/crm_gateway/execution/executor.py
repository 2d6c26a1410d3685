"""Execute a query plan: send fetches, merge their results, re-path their errors."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from crm_gateway.composition.supergraph import Supergraph
from crm_gateway.errors import ErrorDict, Path, subgraph_error, unavailable_error
from crm_gateway.planning.aliases import rename_keys
from crm_gateway.planning.plan import Batch, Fetch, PathSegment, QueryPlan, Template
from crm_gateway.transport.client import SubgraphClient, SubgraphResponse, SubgraphUnavailable
from crm_gateway.transport.files import Uploads
from crm_kit.telemetry import current_traceparent, tracer

logger = logging.getLogger("crm_gateway")
_tracer = tracer("crm_gateway")


@dataclass(slots=True)
class RequestContext:
    variables: dict[str, Any]  # as the client sent them (forwarded verbatim)
    headers: dict[str, str]  # forwarded to subgraphs
    request_id: str
    uploads: Uploads | None = None  # files of a multipart request
    # time spent waiting for subgraphs on the plan's critical path (per step, the round trips
    # on its longest dependency chain): the request's latency minus this is the gateway's
    # overhead
    subgraph_seconds: float = 0.0
    fetch_seconds: dict[int, float] = field(default_factory=dict)  # batch id -> round trip


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
class _Collected:
    """Representations for one entity fetch and the objects each one answers for."""

    fetch: Fetch
    representations: list[dict[str, Any]] = field(default_factory=list)
    owners: list[list[tuple[dict[str, Any], Path]]] = field(default_factory=list)


def collect_representations(
    fetch: Fetch, data: dict[str, Any], supergraph: Supergraph | None = None
) -> _Collected:
    collected = _Collected(fetch)
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


def critical_path(step: list[Batch], seconds: dict[int, float]) -> float:
    """The subgraph round trips on the longest dependency chain of a step's batches (a query's
    plan is one step whose batches wait for the ones they depend on)."""
    by_id = {batch.id: batch for batch in step}
    longest: dict[int, float] = {}

    def chain(batch: Batch, seen: frozenset[int]) -> float:
        found = longest.get(batch.id)
        if found is None:
            before = [
                chain(by_id[d], seen | {batch.id})
                for d in batch.depends_on
                if d in by_id and d not in seen and d != batch.id
            ]
            found = longest[batch.id] = seconds.get(batch.id, 0.0) + max(before, default=0.0)
        return found

    return max((chain(batch, frozenset()) for batch in step), default=0.0)


class Executor:
    def __init__(self, supergraph: Supergraph, client: SubgraphClient) -> None:
        self.supergraph = supergraph
        self.client = client

    async def execute(self, plan: QueryPlan, context: RequestContext) -> ExecutionState:
        state = ExecutionState()
        timings = context.fetch_seconds
        for step in plan.steps:
            await self._run_step(step, state, context)
            context.subgraph_seconds += critical_path(step, timings)
        return state

    async def execute_event(
        self,
        plan: QueryPlan,
        subgraph: str,
        payload: dict[str, Any],
        context: RequestContext,
    ) -> ExecutionState:
        """One subscription event: the root subgraph's payload, then the plan's entity fetches."""
        state = ExecutionState()
        fetch = plan.fetches[0]
        data = payload.get("data")
        if isinstance(data, dict):
            deep_merge(state.data, data)
        self._add_root_errors(payload.get("errors"), fetch, state, context)
        for step in plan.steps:
            entity_batches = [b for b in step if b.is_entity]
            if entity_batches:
                await self._run_step(entity_batches, state, context)
        return state

    def _add_root_errors(
        self, errors: Any, fetch: Fetch, state: ExecutionState, context: RequestContext
    ) -> None:
        for raw in errors if isinstance(errors, list) else ():
            path = raw.get("path") if isinstance(raw, dict) else None
            state.add_error(
                subgraph_error(
                    raw, fetch.subgraph, context.request_id, list(path) if path else None
                )
            )

    async def _run_step(
        self, batches: list[Batch], state: ExecutionState, context: RequestContext
    ) -> None:
        if len(batches) == 1:
            await self._run_batch(batches[0], state, context)
            return
        done = {b.id: asyncio.Event() for b in batches}

        async def run(batch: Batch) -> None:
            try:
                for dependency in batch.depends_on:
                    event = done.get(dependency) if dependency != batch.id else None
                    if event is not None:
                        await event.wait()
                await self._run_batch(batch, state, context)
            finally:
                done[batch.id].set()

        await asyncio.gather(*(run(b) for b in batches))

    async def _run_batch(
        self, batch: Batch, state: ExecutionState, context: RequestContext
    ) -> None:
        if batch.is_entity:
            await self._entity_batch(batch, state, context)
        else:
            await self._root_fetch(batch, state, context)

    def _variables(self, batch: Batch, context: RequestContext) -> dict[str, Any]:
        return {
            name: context.variables[name]
            for fetch in batch.fetches
            for name in fetch.variables
            if name in context.variables
        }

    async def _send(
        self, batch: Batch, variables: dict[str, Any], context: RequestContext
    ) -> tuple[dict[str, Any] | None, list[Any]] | None:
        subgraph = self.supergraph.subgraphs[batch.subgraph]
        started = time.perf_counter()
        try:
            if not trace.get_current_span().is_recording():
                # no tracer provider (no exporter configured): skip the fetch span, the
                # request's traceparent (if any) is forwarded as it is
                response = await self._request(batch, variables, context, context.headers)
            else:
                response = await self._traced(batch, variables, context)
        except SubgraphUnavailable as exc:
            logger.warning(
                "subgraph unavailable",
                extra={
                    "subgraph": subgraph.name,
                    "reason": exc.reason,
                    "request_id": context.request_id,
                },
            )
            return None
        finally:
            context.fetch_seconds[batch.id] = time.perf_counter() - started
        if batch.renames and response.data:
            rename_keys(response.data, batch.renames)
        return response.data, response.errors

    async def _traced(
        self, batch: Batch, variables: dict[str, Any], context: RequestContext
    ) -> SubgraphResponse:
        attributes: dict[str, str | bool] = {
            "graphql.subgraph.name": batch.subgraph,
            "graphql.operation.name": batch.operation_name or "",
            "graphql.fetch.entity": batch.is_entity,
        }
        with _tracer.start_as_current_span(
            f"subgraph {batch.subgraph}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            headers = dict(context.headers)
            traceparent = current_traceparent()
            if traceparent:
                headers["traceparent"] = traceparent
            try:
                response = await self._request(batch, variables, context, headers)
            except SubgraphUnavailable as exc:
                span.set_status(Status(StatusCode.ERROR, exc.reason))
                raise
            if response.errors:
                span.set_attribute("graphql.errors", len(response.errors))
            return response

    async def _request(
        self,
        batch: Batch,
        variables: dict[str, Any],
        context: RequestContext,
        headers: dict[str, str],
    ) -> SubgraphResponse:
        subgraph = self.supergraph.subgraphs[batch.subgraph]
        uploads = context.uploads
        if uploads is not None and uploads.variable_names().isdisjoint(variables):
            uploads = None
        return await self.client.request(
            subgraph.name,
            subgraph.url,
            batch.operation,
            variables=variables,
            operation_name=batch.operation_name,
            headers=headers,
            retry=not batch.is_mutation,
            uploads=uploads,
        )

    async def _root_fetch(
        self, batch: Batch, state: ExecutionState, context: RequestContext
    ) -> None:
        fetch = batch.fetches[0]
        result = await self._send(batch, self._variables(batch, context), context)
        if result is None:
            for key in dict.fromkeys(fetch.selection.response_keys()):
                state.add_error(unavailable_error(fetch.subgraph, [key]))
            return
        data, errors = result
        if data:
            deep_merge(state.data, data)
        self._add_root_errors(errors, fetch, state, context)

    async def _entity_batch(
        self, batch: Batch, state: ExecutionState, context: RequestContext
    ) -> None:
        collected = [collect_representations(f, state.data, self.supergraph) for f in batch.fetches]
        active = [c for c in collected if c.representations]
        if not active:
            return
        variables = self._variables(batch, context)
        for item in collected:
            variables[item.fetch.representations_variable] = item.representations
        result = await self._send(batch, variables, context)
        if result is None:
            for item in active:
                first_obj, first_path = item.owners[0][0]
                key = item.fetch.error_key(first_obj.get("__typename"))
                error_path = [*first_path, key] if key else first_path
                state.add_error(unavailable_error(batch.subgraph, error_path))
                for group in item.owners:
                    for _, owner_path in group:
                        state.covered.add(tuple(owner_path))
            return
        data, errors = result
        by_alias = {item.fetch.alias: item for item in active}
        for item in active:
            entities = data.get(item.fetch.alias) if data else None
            if isinstance(entities, list):
                for position, entity in enumerate(entities[: len(item.representations)]):
                    if isinstance(entity, dict):
                        for obj, _ in item.owners[position]:
                            self._merge_entity(obj, entity)
        for raw in errors:
            path = raw.get("path") if isinstance(raw, dict) else None
            alias = path[0] if isinstance(path, list) and path else None
            self._entity_error(raw, by_alias.get(str(alias), active[0]), state, context)

    def _merge_entity(self, obj: dict[str, Any], entity: dict[str, Any]) -> None:
        """Merge an `_entities` result; a concrete `__typename` is never replaced by the name
        of an @interfaceObject (the subgraph's view of the same object)."""
        typename = entity.get("__typename")
        current = obj.get("__typename")
        if typename is not None and current is not None and typename != current:
            known = self.supergraph.types.get(str(current))
            if known is not None and not known.is_abstract:
                entity = {k: v for k, v in entity.items() if k != "__typename"}
        deep_merge(obj, entity)

    def _entity_error(
        self, raw: Any, item: _Collected, state: ExecutionState, context: RequestContext
    ) -> None:
        fetch = item.fetch
        owners = item.owners
        path = raw.get("path") if isinstance(raw, dict) else None
        if (
            isinstance(path, list)
            and len(path) >= 2
            and path[0] == fetch.alias
            and isinstance(path[1], int)
            and 0 <= path[1] < len(owners)
        ):
            for _, owner_path in owners[path[1]]:
                state.add_error(
                    subgraph_error(
                        raw, fetch.subgraph, context.request_id, [*owner_path, *path[2:]]
                    )
                )
            return
        target: Path | None = None
        if owners and owners[0]:
            target = owners[0][0][1]
            key = fetch.error_key(None)
            target = [*target, key] if key else target
        state.add_error(subgraph_error(raw, fetch.subgraph, context.request_id, target))
