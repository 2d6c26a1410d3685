"""Rate limiting: token buckets per user (JWT `sub`) and per client id (a request header).

Each key gets `capacity` requests per `window_seconds`, refilled continuously; a request that
finds its bucket empty is refused with the seconds until a token is back (`Retry-After`). The
buckets live in this gateway instance (with N instances behind a balancer the effective limit
is up to N times higher; put a shared limiter in front when that matters).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from crm_gateway.edge.requests import Refused
from crm_gateway.errors import gateway_error
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.settings import GatewaySettings
from crm_kit.auth import Principal


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        capacity: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / window_seconds if window_seconds > 0 else float(capacity)
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def acquire(self, key: str) -> float | None:
        """Take one token for `key`: None when allowed, else the seconds to wait."""
        if not self.enabled:
            return None
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(float(self.capacity), now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled completely (they behave like new ones)."""
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.capacity
        ]
        for key in full:
            del self._buckets[key]


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


class RateLimits:
    """The edge's limits per user (JWT `sub`) and per client id (`client_id_header`, or
    `apollographql-client-name`): every operation of a request takes a token from each."""

    def __init__(self, settings: GatewaySettings, metrics: GatewayMetrics) -> None:
        window = settings.rate_limit_window_seconds
        self.user = RateLimiter(settings.rate_limit_user, window)
        self.client = RateLimiter(settings.rate_limit_client, window)
        self.client_id_header = settings.client_id_header
        self.metrics = metrics

    def check(self, request: Request, principal: Principal | None, operations: int) -> None:
        """Refused (HTTP 429 with `Retry-After`) when a bucket is empty."""
        client_id = request.headers.get(self.client_id_header) or request.headers.get(
            "apollographql-client-name"
        )
        checks = (
            (self.user, "user", principal.sub if principal else None),
            (self.client, "client", client_id),
        )
        for limiter, scope, key in checks:
            if key is None or not limiter.enabled:
                continue
            for _ in range(operations):
                wait = limiter.acquire(key)
                if wait is not None:
                    self._refuse(scope, wait)

    def _refuse(self, scope: str, wait: float) -> None:
        retry = retry_after_header(wait)
        self.metrics.rate_limited.inc(scope=scope)
        error = gateway_error(
            f"Too many requests for this {scope}; retry after {retry} s",
            "RATE_LIMITED",
            retryAfter=int(retry),
            scope=scope,
        )
        raise Refused(error, 429, {"retry-after": retry})
