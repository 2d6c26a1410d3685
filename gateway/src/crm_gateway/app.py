"""The HTTP edge: `/graphql` (POST, and GET for queries), `/healthz`, `/readyz`, `/metrics`.

Authentication: every `/graphql` request needs `Authorization: Bearer <JWT>`, verified with
crm_kit's TokenVerifier. A missing or invalid token gets HTTP 200 with a GraphQL error whose
`extensions.code` is `UNAUTHENTICATED` (and `data: null`): that is what Apollo Client's
error link and the GraphQL-over-HTTP `application/json` mode expect, so clients can react to
the code (refresh the token, sign in again) instead of handling a network error.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_gateway.errors import INTERNAL, gateway_error
from crm_gateway.executor import RequestContext
from crm_gateway.runtime import GatewayRuntime
from crm_gateway.settings import GatewaySettings
from crm_kit.auth import TokenVerifier, bearer_token
from crm_kit.errors import Unauthenticated

logger = logging.getLogger("crm_gateway")

JSON = "application/json"


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON, headers=headers)


async def _read_params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        if params.get("variables"):
            params["variables"] = orjson.loads(params["variables"])
        if params.get("extensions"):
            params["extensions"] = orjson.loads(params["extensions"])
        return params
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if "application/graphql" in content_type and "json" not in content_type:
        return {"query": body.decode("utf-8")}
    parsed = orjson.loads(body)
    if not isinstance(parsed, dict):
        raise ValueError("the request body must be a JSON object")
    return parsed


def create_app(
    settings: GatewaySettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    settings = settings or GatewaySettings.from_env()
    runtime = GatewayRuntime(settings, transport=transport)
    verifier = TokenVerifier(settings.auth)
    metrics = runtime.metrics

    async def graphql(request: Request) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        headers = {"x-request-id": request_id}
        started = time.perf_counter()
        metrics.requests.inc()
        try:
            params = await _read_params(request)
        except (ValueError, UnicodeDecodeError):
            metrics.request_errors.inc()
            error = gateway_error(
                "The request body is not valid GraphQL-over-HTTP JSON", "BAD_REQUEST"
            )
            return _json({"errors": [error]}, 400, headers)
        try:
            token = bearer_token(request.headers.get("authorization"))
            await verifier.verify(token)
        except Unauthenticated as exc:
            metrics.request_errors.inc()
            return _json(
                {"data": None, "errors": [gateway_error(exc.message, "UNAUTHENTICATED")]},
                200,
                headers,
            )
        engine = runtime.engine
        if engine is None:
            metrics.request_errors.inc()
            error = gateway_error("The supergraph is not loaded yet; try again shortly", INTERNAL)
            return _json({"errors": [error]}, 503, headers)
        query = params.get("query")
        variables = params.get("variables")
        operation_name = params.get("operationName") or None
        if not isinstance(query, str) or not query.strip():
            metrics.request_errors.inc()
            return _json(
                {"errors": [gateway_error("No query was sent", "BAD_REQUEST")]}, 400, headers
            )
        if variables is not None and not isinstance(variables, dict):
            metrics.request_errors.inc()
            return _json(
                {"errors": [gateway_error("'variables' must be an object", "BAD_REQUEST")]},
                400,
                headers,
            )
        forwarded = {"authorization": request.headers["authorization"], "x-request-id": request_id}
        for name in ("traceparent", "tracestate"):
            value = request.headers.get(name)
            if value:
                forwarded[name] = value
        context = RequestContext(variables={}, headers=forwarded, request_id=request_id)
        try:
            result = await engine.run(
                query,
                operation_name if isinstance(operation_name, str) else None,
                variables,
                context,
                allow_mutations=request.method == "POST",
            )
        except Exception:
            logger.exception("unexpected gateway failure", extra={"request_id": request_id})
            error = gateway_error("Internal server error", INTERNAL, requestId=request_id)
            result = {"data": None, "errors": [error]}
        if result.get("errors"):
            metrics.request_errors.inc()
        metrics.request_latency.observe(time.perf_counter() - started)
        return _json(result, 200, headers)

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

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app
