"""HTTP to subgraphs: one keep-alive connection pool, timeouts, header forwarding, metrics."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from crm_gateway.circuit import CircuitBreaker
from crm_gateway.metrics import GatewayMetrics

FORWARDED_HEADERS = ("authorization", "traceparent", "tracestate", "x-request-id")
_JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}


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


class _Retryable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SubgraphClient:
    def __init__(
        self,
        *,
        timeout_seconds: float,
        metrics: GatewayMetrics,
        max_connections: int = 200,
        transport: httpx.AsyncBaseTransport | None = None,
        timeouts: dict[str, float] | None = None,
        retries: int = 0,
        retry_backoff_seconds: float = 0.05,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._metrics = metrics
        self._timeout = timeout_seconds
        self._timeouts = dict(timeouts or {})
        self._retries = retries
        self._backoff = retry_backoff_seconds
        self.breaker = breaker or CircuitBreaker(0)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def timeout_for(self, subgraph: str) -> float:
        return self._timeouts.get(subgraph, self._timeout)

    async def request(
        self,
        subgraph: str,
        url: str,
        query: str,
        *,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        headers: dict[str, str],
        retry: bool = False,
        record: bool = True,
    ) -> SubgraphResponse:
        """POST one operation. Connection failures and 502/503/504 without a GraphQL body are
        retried (bounded, with backoff) when `retry` is set: never for mutations. Timeouts
        are not retried (they would multiply the latency of a slow subgraph)."""
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        if operation_name:
            body["operationName"] = operation_name
        content = orjson.dumps(body)
        attempts = 1 + (self._retries if retry else 0)
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
        self, subgraph: str, url: str, content: bytes, headers: dict[str, str], record: bool
    ) -> SubgraphResponse:
        """One POST; `record`: count it in the request metrics (not SDL polling)."""
        if record:
            self._metrics.subgraph_requests.inc(subgraph=subgraph)
        started = time.perf_counter()
        try:
            response = await self._client.post(
                url,
                content=content,
                headers={**_JSON_HEADERS, **headers},
                timeout=self.timeout_for(subgraph),
            )
        except httpx.TimeoutException as exc:
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise SubgraphUnavailable(subgraph, "timeout") from exc
        except httpx.TransportError as exc:
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise _Retryable(type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise SubgraphUnavailable(subgraph, type(exc).__name__) from exc
        finally:
            if record:
                self._metrics.subgraph_latency.observe(
                    time.perf_counter() - started, subgraph=subgraph
                )
        try:
            return self._parse(subgraph, response)
        except SubgraphUnavailable as exc:
            if response.status_code in (502, 503, 504):
                raise _Retryable(exc.reason) from exc
            raise

    def _parse(self, subgraph: str, response: httpx.Response) -> SubgraphResponse:
        try:
            payload = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            payload = None
        if (
            (response.status_code >= 500 and not isinstance(payload, dict))
            or not isinstance(payload, dict)
            or ("data" not in payload and "errors" not in payload)
        ):
            self._metrics.subgraph_errors.inc(subgraph=subgraph)
            raise SubgraphUnavailable(subgraph, f"HTTP {response.status_code}")
        data = payload.get("data")
        errors = payload.get("errors")
        return SubgraphResponse(
            data if isinstance(data, dict) else None, errors if isinstance(errors, list) else []
        )

    async def fetch_sdl(self, subgraph: str, url: str, headers: dict[str, str]) -> str:
        result = await self.request(
            subgraph,
            url,
            "{ _service { sdl } }",
            variables=None,
            operation_name=None,
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
            response = await self._client.post(
                url,
                content=b'{"query":"{ __typename }"}',
                headers={**_JSON_HEADERS, **headers},
                timeout=timeout,
            )
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return None if response.status_code < 500 else f"HTTP {response.status_code}"
