"""`GET /files/{service}/{token}`: a file download served by the subgraph that owns it (the
links come from the API: `CustomerFile.url`).

`service` must name a subgraph of the supergraph and `token` be an opaque token (two base64url
segments joined by a dot); anything else is a 404 before any subgraph is called, so no other
path can be reached through this route. The gateway GETs the subgraph's `/files/<token>` with
the client's Accept-Language, X-Forwarded-For, trace context and request id
(`edge.forwarding`) and relays its status, headers and body as they arrive
(`transport.downloads`), never holding a whole file.

No bearer token is asked for, and none is forwarded: the token in the path is signed by the
subgraph for the caller who asked for the link and expires within minutes, and the subgraph
checks it (signature, expiry, that caller's access) on every download. So this route is outside
the 401-at-the-edge rule of `/graphql`, and a browser link or `fetch` works without headers.
The gateway's own refusals are JSON `{"error": {"code", "message"}}` in English: 404
NOT_FOUND, 502 SERVICE_UNAVAILABLE (the subgraph cannot be reached), 504 GATEWAY_TIMEOUT.
"""

from __future__ import annotations

import re
import uuid

import orjson
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from crm_gateway.edge.forwarding import subgraph_headers
from crm_gateway.runtime import GatewayRuntime
from crm_gateway.transport.downloads import FileAnswer, FileFetcher, FilesUnavailable, files_url
from crm_kit.telemetry import current_traceparent, span_from_traceparent

MAX_TOKEN_CHARS = 4096
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def file_error(status: int, code: str, message: str, request_id: str) -> Response:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    headers = {"x-request-id": request_id, "cache-control": "no-store"}
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def relayed(answer: FileAnswer, request_id: str) -> StreamingResponse:
    """The subgraph's answer as the client's: its status, its headers, its body as it comes."""
    response = StreamingResponse(answer.body(), status_code=answer.status)
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in answer.headers
        if name.lower() != "x-request-id"
    ] + [(b"x-request-id", request_id.encode("latin-1"))]
    return response


class FileDownloads:
    def __init__(self, runtime: GatewayRuntime, fetcher: FileFetcher) -> None:
        self.runtime = runtime
        self.fetcher = fetcher

    async def serve(self, request: Request) -> Response:
        """The route's endpoint (a span per download when a tracer provider is installed)."""
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            return await self.handle(request)
        with span_from_traceparent(
            "files.download",
            request.headers.get("traceparent", ""),
            SpanKind.SERVER,
            {"http.request.method": request.method},
        ):
            return await self.handle(request)

    async def handle(self, request: Request) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        service = request.path_params["service"]
        token = request.path_params["token"]
        base = self.runtime.subgraph_urls().get(service)
        if base is None or len(token) > MAX_TOKEN_CHARS or not _TOKEN.fullmatch(token):
            return file_error(404, "NOT_FOUND", "No such file", request_id)
        headers = subgraph_headers(
            request.headers,
            request.client.host if request.client else None,
            self.runtime.settings.trusted_proxy_hops,
            authorization=None,  # the link is the credential; the client's token stays here
            traceparent=current_traceparent() or request.headers.get("traceparent"),
        )
        headers["x-request-id"] = request_id
        metrics = self.runtime.metrics
        metrics.subgraph_requests.inc(subgraph=service)
        try:
            answer = await self.fetcher.open(files_url(base, token), headers)
        except FilesUnavailable as exc:
            metrics.subgraph_errors.inc(subgraph=service)
            if exc.timeout:
                message = f"Subgraph '{service}' did not answer in time"
                return file_error(504, "GATEWAY_TIMEOUT", message, request_id)
            message = f"Subgraph '{service}' is unavailable"
            return file_error(502, "SERVICE_UNAVAILABLE", message, request_id)
        return relayed(answer, request_id)
