"""Execute a query plan: walk its tree (fetches in sequence or in parallel, each entity fetch
flattened into the objects at its paths), send the requests, merge their results and re-path
their errors."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from crm_gateway.composition.supergraph import Supergraph
from crm_gateway.errors import Path, subgraph_error, unavailable_error
from crm_gateway.execution.global_ids import drop_objects, run_lookup, write_node_ids
from crm_gateway.execution.representations import Collected, collect_representations
from crm_gateway.execution.state import ExecutionState, RequestContext, deep_merge
from crm_gateway.planning.aliases import rename_keys
from crm_gateway.planning.plan import (
    Fetch,
    FetchNode,
    FlattenNode,
    PlanNode,
    QueryPlan,
    SequenceNode,
)
from crm_gateway.planning.tree import critical_path
from crm_gateway.transport.client import (
    SubgraphClient,
    SubgraphResponse,
    SubgraphUnavailable,
    graphql_body,
)
from crm_kit.telemetry import current_traceparent, tracer

logger = logging.getLogger("crm_gateway")
_tracer = tracer("crm_gateway")


class _Run:
    """One walk over a plan's tree for one request (or one subscription event)."""

    __slots__ = ("context", "done", "executor", "skip_roots", "state")

    def __init__(
        self,
        executor: Executor,
        plan: QueryPlan,
        state: ExecutionState,
        context: RequestContext,
        *,
        skip_roots: bool = False,
    ) -> None:
        self.executor = executor
        self.state = state
        self.context = context
        self.skip_roots = skip_roots  # a subscription event: the root data is already there
        # only for plans whose order alone does not cover every dependency (`FetchNode.waits`)
        self.done = {i: asyncio.Event() for i in plan.waited_for} if plan.waited_for else None

    async def run(self, node: PlanNode) -> None:
        if isinstance(node, SequenceNode):
            for child in node.nodes:
                await self.run(child)
        elif isinstance(node, FlattenNode | FetchNode):
            await self._fetch(node)
        elif len(node.nodes) == 1:
            await self.run(node.nodes[0])
        else:
            await asyncio.gather(*(self.run(child) for child in node.nodes))

    async def _fetch(self, node: FlattenNode | FetchNode) -> None:
        fetch = node.node if isinstance(node, FlattenNode) else node
        try:
            if self.done is not None:
                for dependency in fetch.waits:
                    await self.done[dependency].wait()
            if isinstance(node, FlattenNode):
                await self.executor.entity_fetch(fetch, self.state, self.context)
            elif not self.skip_roots:
                await self.executor.root_fetch(fetch, self.state, self.context)
        finally:
            if self.done is not None and fetch.id in self.done:
                self.done[fetch.id].set()


class Executor:
    def __init__(self, supergraph: Supergraph, client: SubgraphClient) -> None:
        self.supergraph = supergraph
        self.client = client

    async def execute(self, plan: QueryPlan, context: RequestContext) -> ExecutionState:
        state = ExecutionState()
        if plan.node is not None:
            await _Run(self, plan, state, context).run(plan.node)
            context.subgraph_seconds += critical_path(plan.node, context.fetch_seconds)
        write_node_ids(plan.node_ids, state.data)
        return state

    async def execute_event(
        self, plan: QueryPlan, payload: dict[str, Any], context: RequestContext
    ) -> ExecutionState:
        """One subscription event: the root subgraph's payload, then the plan's entity fetches."""
        state = ExecutionState()
        data = payload.get("data")
        if isinstance(data, dict):
            deep_merge(state.data, data)
        self._add_root_errors(payload.get("errors"), plan.fetches[0], state, context)
        if plan.node is not None:
            await _Run(self, plan, state, context, skip_roots=True).run(plan.node)
        write_node_ids(plan.node_ids, state.data)
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

    def _variables(self, node: FetchNode, context: RequestContext) -> dict[str, Any]:
        return {
            name: context.variables[name]
            for fetch in node.fetches
            for name in fetch.variables
            if name in context.variables
        }

    async def _send(
        self, node: FetchNode, variables: dict[str, Any], context: RequestContext
    ) -> tuple[dict[str, Any] | None, list[Any]] | None:
        subgraph = self.supergraph.subgraphs[node.subgraph]
        started = time.perf_counter()
        try:
            if not trace.get_current_span().is_recording():
                # no tracer provider (no exporter configured): skip the fetch span, the
                # request's traceparent (if any) is forwarded as it is
                response = await self._request(node, variables, context, context.headers)
            else:
                response = await self._traced(node, variables, context)
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
            context.fetch_seconds[node.id] = time.perf_counter() - started
        if node.renames and response.data:
            rename_keys(response.data, node.renames)
        return response.data, response.errors

    async def _traced(
        self, node: FetchNode, variables: dict[str, Any], context: RequestContext
    ) -> SubgraphResponse:
        attributes: dict[str, str | bool] = {
            "graphql.subgraph.name": node.subgraph,
            "graphql.operation.name": node.operation_name or "",
            "graphql.fetch.entity": node.is_entity,
        }
        with _tracer.start_as_current_span(
            f"subgraph {node.subgraph}", kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            headers = dict(context.headers)
            traceparent = current_traceparent()
            if traceparent:
                headers["traceparent"] = traceparent
            try:
                response = await self._request(node, variables, context, headers)
            except SubgraphUnavailable as exc:
                span.set_status(Status(StatusCode.ERROR, exc.reason))
                raise
            if response.errors:
                span.set_attribute("graphql.errors", len(response.errors))
            return response

    async def _request(
        self,
        node: FetchNode,
        variables: dict[str, Any],
        context: RequestContext,
        headers: dict[str, str],
    ) -> SubgraphResponse:
        subgraph = self.supergraph.subgraphs[node.subgraph]
        uploads = context.uploads
        if uploads is not None and uploads.variable_names().isdisjoint(variables):
            uploads = None
        return await self.client.request(
            subgraph,
            graphql_body(node.operation, variables, node.operation_name),
            headers=headers,
            retry=not node.is_mutation,
            uploads=uploads,
        )

    async def root_fetch(
        self, node: FetchNode, state: ExecutionState, context: RequestContext
    ) -> None:
        fetch = node.fetches[0]
        if fetch.lookup is not None:  # `node` / `nodes`: no request
            run_lookup(fetch.lookup, self.supergraph.node_types, state, context.variables)
            return
        result = await self._send(node, self._variables(node, context), context)
        if result is None:
            for key in dict.fromkeys(fetch.selection.response_keys()):
                state.add_error(unavailable_error(fetch.subgraph, [key]))
            return
        data, errors = result
        if data:
            deep_merge(state.data, data)
        self._add_root_errors(errors, fetch, state, context)

    async def entity_fetch(
        self, node: FetchNode, state: ExecutionState, context: RequestContext
    ) -> None:
        collected = [collect_representations(f, state.data, self.supergraph) for f in node.fetches]
        active = [c for c in collected if c.representations]
        if not active:
            return
        variables = self._variables(node, context)
        for item in collected:
            variables[item.fetch.representations_variable] = item.representations
        result = await self._send(node, variables, context)
        if result is None:
            for item in active:
                self._entities_unavailable(node, item, state)
            return
        data, errors = result
        for item in active:
            entities = data.get(item.fetch.alias) if data else None
            self._merge_entities(item, entities if isinstance(entities, list) else [], state)
        by_alias = {item.fetch.alias: item for item in active}
        for raw in errors:
            path = raw.get("path") if isinstance(raw, dict) else None
            alias = path[0] if isinstance(path, list) and path else None
            self._entity_error(raw, by_alias.get(str(alias), active[0]), state, context)

    def _entities_unavailable(
        self, node: FetchNode, item: Collected, state: ExecutionState
    ) -> None:
        first_obj, first_path = item.owners[0][0]
        key = item.fetch.error_key(first_obj.get("__typename"))
        if key and not item.fetch.drops_missing:  # (looked up objects are nulled as a whole)
            first_path = [*first_path, key]
        state.add_error(unavailable_error(node.subgraph, first_path))
        for group in item.owners:
            for _, owner_path in group:
                state.covered.add(tuple(owner_path))
        if item.fetch.drops_missing:
            drop_objects(state.data, [path for group in item.owners for _, path in group])

    def _merge_entities(self, item: Collected, entities: list[Any], state: ExecutionState) -> None:
        missing: list[Path] = []
        for position, owners in enumerate(item.owners):
            entity = entities[position] if position < len(entities) else None
            if isinstance(entity, dict):
                for obj, _ in owners:
                    self._merge_entity(obj, entity)
            elif item.fetch.drops_missing:  # a looked up object that is not there (to see)
                missing.extend(path for _, path in owners)
            elif entity is None and position < len(entities):
                # The subgraph resolved the reference to null: the object is not there, so
                # its non-null fields null it without an error of their own (as Apollo
                # Gateway 2.3+ answers); an error the subgraph gave is reported as such.
                state.covered.update(tuple(path) for _, path in owners)
        drop_objects(state.data, missing)

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
        self, raw: Any, item: Collected, state: ExecutionState, context: RequestContext
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
            target = [*target, key] if key and not fetch.drops_missing else target
        state.add_error(subgraph_error(raw, fetch.subgraph, context.request_id, target))
