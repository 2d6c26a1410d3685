"""`/graphql` over HTTP (POST, GET for queries, JSON-array batches, multipart uploads).

A request passes, in order: the request-size limit and parsing (a JSON array is a batch of at
most `max_batch` operations), authentication, rate limits (per user and per client id),
persisted-query resolution (APQ / safelist), then the engine (parse with the token limit,
validate, depth/alias/root-field/cost limits, plan, execute). A `multipart/form-data` POST is a
file upload (`edge.uploads`): authenticated first, then read within the upload limits.
Rate-limited requests get HTTP 429 with `Retry-After` and a `RATE_LIMITED` error; requests
without a valid token HTTP 401 with `WWW-Authenticate` and an `UNAUTHENTICATED` error.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from starlette.requests import Request
from starlette.responses import Response

from crm_gateway.edge.auth import Authenticator
from crm_gateway.edge.forwarding import subgraph_headers
from crm_gateway.edge.persisted import PersistedQueries, PersistedQueryError
from crm_gateway.edge.ratelimit import RateLimits
from crm_gateway.edge.requests import Operations, Refused, RequestReader, json_response
from crm_gateway.edge.uploads import is_multipart
from crm_gateway.errors import INTERNAL, gateway_error
from crm_gateway.execution.state import RequestContext
from crm_gateway.runtime import GatewayRuntime
from crm_gateway.settings import GatewaySettings
from crm_kit.telemetry import current_traceparent, span_from_traceparent

logger = logging.getLogger("crm_gateway")

Result = dict[str, Any]


class GraphQLHttp:
    def __init__(
        self,
        runtime: GatewayRuntime,
        authenticator: Authenticator,
        rate_limits: RateLimits,
        persisted: PersistedQueries,
    ) -> None:
        self.runtime = runtime
        self.settings: GatewaySettings = runtime.settings
        self.metrics = runtime.metrics
        self.authenticator = authenticator
        self.rate_limits = rate_limits
        self.persisted = persisted
        self.reader = RequestReader(self.settings)

    async def serve(self, request: Request) -> Response:
        """The route's endpoint (a span per request when a tracer provider is installed)."""
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            # no tracer provider installed (no exporter): spans would go nowhere; the
            # client's traceparent is still forwarded to the subgraphs
            return await self.handle(request)
        with span_from_traceparent(
            "graphql.request",
            request.headers.get("traceparent", ""),
            SpanKind.SERVER,
            {"http.request.method": request.method},
        ):
            return await self.handle(request)

    async def handle(self, request: Request) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        headers = {"x-request-id": request_id}
        started = time.perf_counter()
        self.metrics.requests.inc()
        try:
            operations = await self._admit(request)
            contexts = self._contexts(request, request_id, operations)
            results = await self._run(request, operations, contexts)
        except Refused as refused:
            self.metrics.request_errors.inc()
            body: Result = {"errors": [refused.error]}
            if refused.error["extensions"]["code"] == "UNAUTHENTICATED":
                body = {"data": None, **body}
            return json_response(body, refused.status, {**headers, **refused.headers})
        if any(result.get("errors") for result in results):
            self.metrics.request_errors.inc()
        elapsed = time.perf_counter() - started
        self.metrics.request_latency.observe(elapsed)
        if self.settings.server_timing:
            waited = sum(context.subgraph_seconds for context in contexts)
            headers["server-timing"] = (
                f"gateway;dur={elapsed * 1000:.3f}, subgraphs;dur={waited * 1000:.3f}"
            )
        return json_response(results if operations.batch else results[0], 200, headers)

    async def _admit(self, request: Request) -> Operations:
        """The request's operations, once it is authenticated and within its rate limits."""
        if is_multipart(request):
            principal = await self.authenticator.authenticate(request)  # before a large body
            operations = await self.reader.multipart(request)
        else:
            operations = await self.reader.operations(request)
            principal = await self.authenticator.authenticate(request)
        self.rate_limits.check(request, principal, len(operations.items))
        return operations

    def _contexts(
        self, request: Request, request_id: str, operations: Operations
    ) -> list[RequestContext]:
        forwarded = subgraph_headers(
            request.headers,
            request.client.host if request.client else None,
            self.settings.trusted_proxy_hops,
            authorization=request.headers.get("authorization"),
            traceparent=current_traceparent() or request.headers.get("traceparent"),
        )
        forwarded["x-request-id"] = request_id
        return [
            RequestContext(
                variables={},
                headers=dict(forwarded),
                request_id=request_id,
                uploads=operations.uploads,
            )
            for _ in operations.items
        ]

    async def _run(
        self, request: Request, operations: Operations, contexts: list[RequestContext]
    ) -> list[Result]:
        if not operations.batch:
            return [await self._run_one(request, operations.items[0], contexts[0])]
        pairs = zip(operations.items, contexts, strict=True)
        return list(await asyncio.gather(*(self._run_one(request, op, ctx) for op, ctx in pairs)))

    async def _run_one(self, request: Request, params: Any, context: RequestContext) -> Result:
        if not isinstance(params, dict):
            return {"errors": [gateway_error("Each operation must be an object", "BAD_REQUEST")]}
        engine = self.runtime.engine
        if engine is None:
            error = gateway_error("The supergraph is not loaded yet; try again shortly", INTERNAL)
            raise Refused(error, 503)
        try:
            query = self.persisted.resolve(params.get("query"), params.get("extensions"))
        except PersistedQueryError as exc:
            return {"errors": [exc.error]}
        variables = params.get("variables")
        if query is None or not query.strip():
            return {"errors": [gateway_error("No query was sent", "BAD_REQUEST")]}
        if variables is not None and not isinstance(variables, dict):
            return {"errors": [gateway_error("'variables' must be an object", "BAD_REQUEST")]}
        operation_name = params.get("operationName") or None
        name = operation_name if isinstance(operation_name, str) else None
        trace.get_current_span().set_attribute("graphql.operation.name", name or "")
        try:
            return await engine.run(
                query,
                name,
                variables,
                context,
                allow_mutations=request.method == "POST",
                include_plan=self._include_plan(request),
            )
        except Exception:
            request_id = context.request_id
            logger.exception("unexpected gateway failure", extra={"request_id": request_id})
            error = gateway_error("Internal server error", INTERNAL, requestId=request_id)
            return {"data": None, "errors": [error]}

    def _include_plan(self, request: Request) -> bool:
        asked = request.headers.get("x-gateway-debug", "").lower() in ("plan", "1", "true")
        return self.settings.debug_query_plan and asked
