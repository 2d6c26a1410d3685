"""The HTTP edge: `/graphql` (POST, GET for queries, WebSocket for subscriptions), `/healthz`,
`/readyz`, `/metrics`.

A request passes, in order: the request-size limit, JSON parsing (a JSON array is a batch of
at most `max_batch` operations), authentication, rate limits (per user and per client id),
persisted-query resolution (APQ / safelist), then the engine (parse with the token limit,
validate, depth/alias/root-field/cost limits, plan, execute). A `multipart/form-data` POST is a
file upload (`crm_gateway.edge.uploads`): authenticated first, then read within the upload limits.

Authentication: every `/graphql` request needs `Authorization: Bearer <JWT>`, verified with
crm_kit's TokenVerifier. A missing or invalid token gets HTTP 200 with a GraphQL error whose
`extensions.code` is `UNAUTHENTICATED` (and `data: null`): that is what Apollo Client's
error link and the GraphQL-over-HTTP `application/json` mode expect, so clients can react to
the code (refresh the token, sign in again) instead of handling a network error. Rate-limited
requests get HTTP 429 with `Retry-After` and a `RATE_LIMITED` error.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from crm_gateway.edge.auth import EdgeTokenVerifier
from crm_gateway.edge.body import BodyTooLarge, read_body
from crm_gateway.edge.forwarding import subgraph_headers
from crm_gateway.edge.persisted import PersistedQueries, PersistedQueryError, load_manifest
from crm_gateway.edge.ratelimit import RateLimiter, retry_after_header
from crm_gateway.edge.uploads import UploadError, is_multipart, read_multipart
from crm_gateway.edge.websocket import subscription_endpoint
from crm_gateway.errors import INTERNAL, ErrorDict, gateway_error
from crm_gateway.execution.state import RequestContext
from crm_gateway.runtime import GatewayRuntime
from crm_gateway.settings import GatewaySettings
from crm_gateway.transport.files import Uploads
from crm_kit.auth import Principal, bearer_token
from crm_kit.errors import Unauthenticated
from crm_kit.telemetry import current_traceparent, span_from_traceparent

logger = logging.getLogger("crm_gateway")

JSON = "application/json"
CORS_HEADERS = [
    "authorization",
    "content-type",
    "x-request-id",
    "traceparent",
    "tracestate",
    "apollographql-client-name",
    "apollographql-client-version",
    "x-gateway-debug",
    "accept-language",
]


class _Refused(Exception):
    """The request is answered without running anything."""

    def __init__(
        self, error: ErrorDict, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(error["message"])
        self.error = error
        self.status = status
        self.headers = headers or {}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


async def _read_params(request: Request, max_bytes: int) -> dict[str, Any] | list[Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if params.get(name):
                params[name] = orjson.loads(params[name])
        return params
    try:
        body = await read_body(request, max_bytes)
    except BodyTooLarge as exc:
        raise _Refused(_too_large(exc), 413) from exc
    content_type = request.headers.get("content-type", "")
    if "application/graphql" in content_type and "json" not in content_type:
        return {"query": body.decode("utf-8")}
    parsed = orjson.loads(body)
    if not isinstance(parsed, dict | list):
        raise ValueError("the request body must be a JSON object or array")
    return parsed


def _too_large(exc: BodyTooLarge) -> ErrorDict:
    return gateway_error(
        f"The request body is larger than {exc.maximum} bytes",
        "BAD_REQUEST",
        limit="requestSize",
        maximum=exc.maximum,
        actual=exc.actual,
    )


def _safelist(settings: GatewaySettings) -> dict[str, str] | None:
    if not settings.safelist_file:
        return None
    return load_manifest(settings.safelist_file)


def create_app(settings: GatewaySettings | None = None) -> Starlette:
    settings = settings or GatewaySettings.from_env()
    runtime = GatewayRuntime(settings)
    verifier = EdgeTokenVerifier(
        settings.auth,
        refresh_cooldown=settings.jwks_refresh_cooldown_seconds,
        lifespan=settings.jwks_lifespan_seconds,
    )
    metrics = runtime.metrics
    persisted = PersistedQueries(
        apq=settings.apq, cache_size=settings.apq_cache_size, safelist=_safelist(settings)
    )
    user_limiter = RateLimiter(settings.rate_limit_user, settings.rate_limit_window_seconds)
    client_limiter = RateLimiter(settings.rate_limit_client, settings.rate_limit_window_seconds)

    async def authenticate(request: Request) -> Principal | None:
        authorization = request.headers.get("authorization")
        if not settings.auth_required and not authorization:
            return None
        try:
            return await verifier.verify(bearer_token(authorization))
        except Unauthenticated as exc:
            raise _Refused(gateway_error(exc.message, "UNAUTHENTICATED"), 200) from exc

    def rate_limit(request: Request, principal: Principal | None, operations: int) -> None:
        client_id = request.headers.get(settings.client_id_header) or request.headers.get(
            "apollographql-client-name"
        )
        checks = [(user_limiter, "user", principal.sub if principal else None)]
        checks.append((client_limiter, "client", client_id))
        for limiter, scope, key in checks:
            if key is None or not limiter.enabled:
                continue
            for _ in range(operations):
                wait = limiter.acquire(key)
                if wait is not None:
                    retry = retry_after_header(wait)
                    metrics.rate_limited.inc(scope=scope)
                    error = gateway_error(
                        f"Too many requests for this {scope}; retry after {retry} s",
                        "RATE_LIMITED",
                        retryAfter=int(retry),
                        scope=scope,
                    )
                    raise _Refused(error, 429, {"retry-after": retry})

    async def run_one(request: Request, params: Any, context: RequestContext) -> dict[str, Any]:
        request_id = context.request_id
        if not isinstance(params, dict):
            return {"errors": [gateway_error("Each operation must be an object", "BAD_REQUEST")]}
        engine = runtime.engine
        if engine is None:
            error = gateway_error("The supergraph is not loaded yet; try again shortly", INTERNAL)
            raise _Refused(error, 503)
        try:
            query = persisted.resolve(params.get("query"), params.get("extensions"))
        except PersistedQueryError as exc:
            return {"errors": [exc.error]}
        variables = params.get("variables")
        operation_name = params.get("operationName") or None
        if query is None or not query.strip():
            return {"errors": [gateway_error("No query was sent", "BAD_REQUEST")]}
        if variables is not None and not isinstance(variables, dict):
            return {"errors": [gateway_error("'variables' must be an object", "BAD_REQUEST")]}
        name = operation_name if isinstance(operation_name, str) else None
        span = trace.get_current_span()
        span.set_attribute("graphql.operation.name", name or "")
        include_plan = settings.debug_query_plan and request.headers.get(
            "x-gateway-debug", ""
        ).lower() in ("plan", "1", "true")
        try:
            return await engine.run(
                query,
                name,
                variables,
                context,
                allow_mutations=request.method == "POST",
                include_plan=include_plan,
            )
        except Exception:
            logger.exception("unexpected gateway failure", extra={"request_id": request_id})
            error = gateway_error("Internal server error", INTERNAL, requestId=request_id)
            return {"data": None, "errors": [error]}

    async def graphql(request: Request) -> Response:
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            # no tracer provider installed (no exporter): spans would go nowhere; the
            # client's traceparent is still forwarded to the subgraphs
            return await handle_graphql(request)
        with span_from_traceparent(
            "graphql.request",
            request.headers.get("traceparent", ""),
            SpanKind.SERVER,
            {"http.request.method": request.method},
        ):
            return await handle_graphql(request)

    async def handle_graphql(request: Request) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        headers = {"x-request-id": request_id}
        started = time.perf_counter()
        metrics.requests.inc()
        uploads: Uploads | None = None
        params: dict[str, Any] | list[Any]
        try:
            if is_multipart(request):
                # authenticated before a large body is read
                principal = await authenticate(request)
                try:
                    params, uploads = await read_multipart(
                        request,
                        max_bytes=settings.max_upload_bytes,
                        max_files=settings.max_upload_files,
                        max_field_bytes=settings.max_request_bytes,
                    )
                except UploadError as exc:
                    raise _Refused(exc.error, exc.status) from exc
            else:
                try:
                    params = await _read_params(request, settings.max_request_bytes)
                except (ValueError, UnicodeDecodeError) as exc:
                    message = "The request body is not valid GraphQL-over-HTTP JSON"
                    raise _Refused(gateway_error(message, "BAD_REQUEST")) from exc
            batch = isinstance(params, list)
            operations = params if isinstance(params, list) else [params]
            if batch and not 0 < len(operations) <= settings.max_batch:
                error = gateway_error(
                    f"A batch holds 1 to {settings.max_batch} operations",
                    "BAD_REQUEST",
                    limit="batch",
                    maximum=settings.max_batch,
                    actual=len(operations),
                )
                raise _Refused(error)
            if uploads is None:
                principal = await authenticate(request)
            rate_limit(request, principal, len(operations))
        except _Refused as refused:
            metrics.request_errors.inc()
            body: dict[str, Any] = {"errors": [refused.error]}
            if refused.error["extensions"]["code"] == "UNAUTHENTICATED":
                body = {"data": None, **body}
            return _json(body, refused.status, {**headers, **refused.headers})
        forwarded = subgraph_headers(
            request.headers,
            request.client.host if request.client else None,
            settings.trusted_proxy_hops,
            authorization=request.headers.get("authorization"),
            traceparent=current_traceparent() or request.headers.get("traceparent"),
        )
        forwarded["x-request-id"] = request_id
        contexts = [
            RequestContext(
                variables={}, headers=dict(forwarded), request_id=request_id, uploads=uploads
            )
            for _ in operations
        ]
        try:
            if batch:
                results = await asyncio.gather(
                    *(
                        run_one(request, op, context)
                        for op, context in zip(operations, contexts, strict=True)
                    )
                )
            else:
                results = [await run_one(request, operations[0], contexts[0])]
        except _Refused as refused:
            metrics.request_errors.inc()
            return _json({"errors": [refused.error]}, refused.status, headers)
        if any(result.get("errors") for result in results):
            metrics.request_errors.inc()
        elapsed = time.perf_counter() - started
        metrics.request_latency.observe(elapsed)
        if settings.server_timing:
            waited = sum(context.subgraph_seconds for context in contexts)
            headers["server-timing"] = (
                f"gateway;dur={elapsed * 1000:.3f}, subgraphs;dur={waited * 1000:.3f}"
            )
        return _json(results if batch else results[0], 200, headers)

    async def subscriptions(websocket: WebSocket) -> None:
        await subscription_endpoint(websocket, runtime, settings, verifier)

    async def healthz(request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(request: Request) -> Response:
        ready, body = await runtime.readiness()
        return _json(body, 200 if ready else 503)

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.aclose()

    middleware: list[Middleware] = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=[*CORS_HEADERS, settings.client_id_header],
                expose_headers=["x-request-id", "retry-after"],
                max_age=600,
            )
        )
    if settings.compression:
        middleware.append(Middleware(GZipMiddleware, minimum_size=settings.compression_min_bytes))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", subscriptions),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.verifier = verifier
    return app
