"""HTTP to subgraphs: keep-alive connection pools, timeouts, header forwarding, metrics.

JSON requests go through `transport.http.HttpPool` (an asyncio Protocol with httptools' C parser:
a third of aiohttp's CPU per request); multipart uploads and readiness probes through aiohttp.
Profiling under load had shown httpx/httpcore's per-request pool bookkeeping as the largest
cost of the gateway, then aiohttp's per-request objects and callbacks.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import orjson

from crm_gateway.metrics import GatewayMetrics
from crm_gateway.transport.circuit import CircuitBreaker
from crm_gateway.transport.files import UploadedFile, Uploads
from crm_gateway.transport.http import BadResponse, HttpPool

_JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
_PER_REQUEST = frozenset({"x-request-id", "traceparent", "tracestate"})  # not in the dedupe key


class SubgraphUnavailable(Exception):
    """The subgraph did not answer with a GraphQL response (down, timeout, 5xx, not JSON)."""

    def __init__(self, subgraph: str, reason: str) -> None:
        super().__init__(f"subgraph {subgraph!r} unavailable: {reason}")
        self.subgraph = subgraph
        self.reason = reason


@dataclass(slots=True)
class SubgraphResponse:
    data: dict[str, Any] | None
    errors: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Multipart:
    operations: bytes
    map: bytes
    files: list[tuple[str, UploadedFile]]


def graphql_body(
    query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> dict[str, Any]:
    """A GraphQL-over-HTTP request body (also the `subscribe` payload over WebSocket)."""
    body: dict[str, Any] = {"query": query}
    if variables:
        body["variables"] = variables
    if operation_name:
        body["operationName"] = operation_name
    return body


def _response(payload: dict[str, Any]) -> SubgraphResponse:
    data = payload.get("data")
    errors = payload.get("errors")
    return SubgraphResponse(
        data if isinstance(data, dict) else None, errors if isinstance(errors, list) else []
    )


@dataclass(slots=True)
class _Shared:
    task: asyncio.Future[tuple[SubgraphResponse, bytes]]
    claimed: bool = False  # the parsed response went to one caller; the others parse again


class _Retryable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Endpoint(Protocol):
    """A subgraph's name (metrics, breaker, timeouts) and GraphQL URL."""

    @property
    def name(self) -> str: ...

    @property
    def url(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SubgraphEndpoint:
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class ClientOptions:
    max_connections: int = 200
    timeouts: dict[str, float] = field(default_factory=dict)  # per-subgraph overrides
    retries: int = 0  # extra attempts for query fetches after a transport failure
    retry_backoff_seconds: float = 0.05
    # below the usual server keep-alive (Node and uvicorn: 5 s), so an idle connection is
    # dropped here before the subgraph closes it under a request
    keepalive_seconds: float = 4.0
    dedupe: bool = True  # identical query fetches in flight share one request


class SubgraphClient:
    def __init__(
        self,
        *,
        timeout_seconds: float,
        metrics: GatewayMetrics,
        options: ClientOptions | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        options = options or ClientOptions()
        self._dedupe = options.dedupe
        self._inflight: dict[tuple[Any, ...], _Shared] = {}
        self._metrics = metrics
        # built once: every request passes its subgraph's timeout to aiohttp
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._timeouts = {
            name: aiohttp.ClientTimeout(total=seconds) for name, seconds in options.timeouts.items()
        }
        self._seconds = timeout_seconds
        self._seconds_per_subgraph = dict(options.timeouts)
        self._retries = options.retries
        self._backoff = options.retry_backoff_seconds
        self.breaker = breaker or CircuitBreaker(0)
        self._max_connections = options.max_connections
        self._keepalive = options.keepalive_seconds
        self._session: aiohttp.ClientSession | None = None
        self._pool = HttpPool(
            limit=options.max_connections, keepalive_seconds=options.keepalive_seconds
        )

    def _client(self) -> aiohttp.ClientSession:
        """The session, created on first use (it belongs to the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=0,
                ttl_dns_cache=60,
                keepalive_timeout=self._keepalive,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                skip_auto_headers=("User-Agent",),
                timeout=self._timeout,
            )
        return self._session

    async def aclose(self) -> None:
        self._pool.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        endpoint: Endpoint,
        body: dict[str, Any],
        *,
        headers: dict[str, str],
        retry: bool = False,
        record: bool = True,
        uploads: Uploads | None = None,
    ) -> SubgraphResponse:
        """POST one operation (`body`: `graphql_body`), as a multipart request when `uploads`
        carry files for it. Connection failures and 502/503/504 without a GraphQL body are
        retried (bounded, with backoff) when `retry` is set: never for mutations or uploads.
        Timeouts are not retried (they would multiply the latency of a slow subgraph)."""
        subgraph, url = endpoint.name, endpoint.url
        if uploads is not None:
            body["variables"], mapping, files = uploads.for_variables(body.get("variables") or {})
            multipart = _Multipart(orjson.dumps(body), orjson.dumps(mapping), files)
            response, _ = await self._attempts(  # never retried nor shared
                subgraph, url, multipart, headers, attempts=1, record=record
            )
            return response
        content = orjson.dumps(body)
        attempts = 1 + (self._retries if retry else 0)
        if retry and self._dedupe:
            return await self._deduplicated(
                subgraph, url, content, headers, attempts=attempts, record=record
            )
        response, _ = await self._attempts(
            subgraph, url, content, headers, attempts=attempts, record=record
        )
        return response

    async def _deduplicated(
        self,
        subgraph: str,
        url: str,
        content: bytes,
        headers: dict[str, str],
        *,
        attempts: int,
        record: bool,
    ) -> SubgraphResponse:
        """Identical query fetches in flight at the same time (same subgraph, body and
        forwarded headers but the per-request ones) share one HTTP request; each caller gets
        its own copy of the result (the executor merges into it)."""
        key = (
            url,
            content,
            tuple(sorted(item for item in headers.items() if item[0] not in _PER_REQUEST)),
        )
        shared = self._inflight.get(key)
        if shared is None:
            task = asyncio.ensure_future(
                self._attempts(subgraph, url, content, headers, attempts=attempts, record=record)
            )
            shared = self._inflight[key] = _Shared(task)
            task.add_done_callback(lambda done: self._finished(key, done))
        else:
            self._metrics.subgraph_deduplicated.inc(subgraph=subgraph)
        response, raw = await asyncio.shield(shared.task)
        if not shared.claimed:
            shared.claimed = True
            return response
        return _response(orjson.loads(raw))

    def _finished(self, key: tuple[Any, ...], task: asyncio.Future[Any]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here when every caller was cancelled

    async def _attempts(
        self,
        subgraph: str,
        url: str,
        content: bytes | _Multipart,
        headers: dict[str, str],
        *,
        attempts: int,
        record: bool,
    ) -> tuple[SubgraphResponse, bytes]:
        for attempt in range(attempts):
            if not self.breaker.allow(subgraph):
                self._metrics.circuit_open.inc(subgraph=subgraph)
                raise SubgraphUnavailable(subgraph, "circuit open")
            try:
                response = await self._post(subgraph, url, content, headers, record)
            except _Retryable as exc:
                self.breaker.failure(subgraph)
                if attempt + 1 >= attempts:
                    raise SubgraphUnavailable(subgraph, exc.reason) from exc
                self._metrics.subgraph_retries.inc(subgraph=subgraph)
                await asyncio.sleep(self._backoff * (2**attempt) * (0.5 + random.random()))
                continue
            except SubgraphUnavailable:
                self.breaker.failure(subgraph)
                raise
            except BaseException:
                self.breaker.release(subgraph)
                raise
            self.breaker.success(subgraph)
            return response
        raise SubgraphUnavailable(subgraph, "no attempt made")  # pragma: no cover

    async def _post(
        self,
        subgraph: str,
        url: str,
        content: bytes | _Multipart,
        headers: dict[str, str],
        record: bool,
    ) -> tuple[SubgraphResponse, bytes]:
        """One POST; `record`: count it in the request metrics (not SDL polling)."""
        if record:
            self._metrics.subgraph_requests.inc(subgraph=subgraph)
        started = time.perf_counter()
        try:
            if isinstance(content, _Multipart):
                form = aiohttp.FormData()
                # str values: plain form fields (bytes would become file parts)
                form.add_field("operations", content.operations.decode())
                form.add_field("map", content.map.decode())
                for name, item in content.files:
                    form.add_field(
                        name, item.content, filename=item.filename, content_type=item.content_type
                    )
                status, payload = await self._http(
                    url, form, {"accept": "application/json", **headers}, subgraph
                )
            else:
                status, payload = await self._http(
                    url, content, {**_JSON_HEADERS, **headers}, subgraph
                )
        except TimeoutError as exc:
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise SubgraphUnavailable(subgraph, "timeout") from exc
        except (aiohttp.ClientConnectionError, OSError) as exc:  # OSError: refused, lost, …
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise _Retryable(type(exc).__name__) from exc
        except (aiohttp.ClientError, BadResponse) as exc:
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise SubgraphUnavailable(subgraph, type(exc).__name__) from exc
        finally:
            if record:
                self._metrics.subgraph_latency.observe(
                    time.perf_counter() - started, subgraph=subgraph
                )
        try:
            return self._parse(subgraph, status, payload), payload
        except SubgraphUnavailable as exc:
            if status in (502, 503, 504):
                raise _Retryable(exc.reason) from exc
            raise

    async def _http(
        self, url: str, body: bytes | aiohttp.FormData, headers: dict[str, str], subgraph: str
    ) -> tuple[int, bytes]:
        if isinstance(body, bytes):
            seconds = self._seconds_per_subgraph.get(subgraph, self._seconds)
            return await self._pool.post(url, body, headers, seconds)
        timeout = self._timeouts.get(subgraph, self._timeout)
        async with self._client().post(url, data=body, headers=headers, timeout=timeout) as resp:
            return resp.status, await resp.read()

    def _parse(self, subgraph: str, status: int, content: bytes) -> SubgraphResponse:
        try:
            payload = orjson.loads(content)
        except orjson.JSONDecodeError:
            payload = None
        if (
            (status >= 500 and not isinstance(payload, dict))
            or not isinstance(payload, dict)
            or ("data" not in payload and "errors" not in payload)
        ):
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise SubgraphUnavailable(subgraph, f"HTTP {status}")
        return _response(payload)

    async def fetch_sdl(self, subgraph: str, url: str, headers: dict[str, str]) -> str:
        result = await self.request(
            SubgraphEndpoint(subgraph, url),
            graphql_body("{ _service { sdl } }", None, None),
            headers=headers,
            record=False,
        )
        service = (result.data or {}).get("_service")
        sdl = service.get("sdl") if isinstance(service, dict) else None
        if not isinstance(sdl, str):
            messages = [e.get("message") for e in result.errors if isinstance(e, dict)]
            raise SubgraphUnavailable(subgraph, f"no SDL in response: {messages}")
        return sdl

    async def probe(self, url: str, headers: dict[str, str], timeout: float) -> str | None:
        """None when the subgraph answers HTTP below 500, else a short reason."""
        try:
            async with self._client().post(
                url,
                data=b'{"query":"{ __typename }"}',
                headers={**_JSON_HEADERS, **headers},
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                status = response.status
                await response.read()
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError as exc:
            return type(exc).__name__
        return None if status < 500 else f"HTTP {status}"
