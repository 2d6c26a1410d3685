"""A well-behaved client under faults: writes carry an idempotencyKey and are retried with the
same key (backoff) on network failures and retryable errors, never on client errors."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support import auth_headers

ADMIN = auth_headers(sub="fault-admin", roles=("ADMIN",), team="east")

CREATE_CUSTOMER = """
mutation Create($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id version ownerId }
}"""


@dataclass
class WriteOutcome:
    key: str
    result_id: str | None = None
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class LoadStats:
    attempted: int = 0
    requests: int = 0
    retried_requests: int = 0
    error_codes: dict[str, int] = field(default_factory=dict)

    def count_error(self, code: str) -> None:
        self.error_codes[code] = self.error_codes.get(code, 0) + 1


def retryable(body: dict[str, Any]) -> tuple[bool, str]:
    errors = body.get("errors") or []
    if not errors:
        return False, ""
    ext = errors[0].get("extensions") or {}
    code = str(ext.get("code", "?"))
    # INTERNAL_SERVER_ERROR is safe to retry because the same idempotencyKey is sent again.
    return code in ("INTERNAL_SERVER_ERROR", "RATE_LIMITED", "SUBGRAPH_UNAVAILABLE") or bool(
        ext.get("retryable")
    ), code


async def idempotent_write(
    http: httpx.AsyncClient,
    *,
    url: str,
    query: str,
    variables: dict[str, Any],
    field_name: str,
    outcome: WriteOutcome,
    stats: LoadStats,
    deadline_seconds: float = 120.0,
    payload: str | None = None,
) -> None:
    """Send until the mutation returns an id or the deadline passes (then it stays unacked).
    `payload`: the field of the mutation's answer holding the object (`opportunity`), when the
    id is not at its top."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline_seconds
    delay = 0.1
    while loop.time() < give_up:
        outcome.attempts += 1
        stats.requests += 1
        if outcome.attempts > 1:
            stats.retried_requests += 1
        try:
            response = await http.post(
                url, json={"query": query, "variables": variables}, headers=ADMIN, timeout=15
            )
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            stats.count_error(type(exc).__name__)
            outcome.errors.append(type(exc).__name__)
        else:
            data = body.get("data") or {}
            if data.get(field_name):
                written = data[field_name][payload] if payload else data[field_name]
                outcome.result_id = str(written["id"])
                return
            retry, code = retryable(body)
            first = (body.get("errors") or [{}])[0]
            ext = first.get("extensions") or {}
            label = f"{code}/retryable" if ext.get("retryable") else code
            if ext.get("serviceName") and "unavailable" in str(first.get("message", "")):
                label = "SUBGRAPH_UNAVAILABLE"  # the gateway could not reach the subgraph
            stats.count_error(label or f"HTTP {response.status_code}")
            outcome.errors.append(code)
            if not retry and response.status_code < 500:
                raise AssertionError(f"non-retryable failure: {body}")
        await asyncio.sleep(delay * random.uniform(0.5, 1.0))
        delay = min(delay * 2, 2.0)


async def create_customers(
    http: httpx.AsyncClient,
    url: str,
    prefix: str,
    count: int,
    *,
    concurrency: int = 8,
    owner_of: Any = None,
    progress: list[int] | None = None,
) -> tuple[list[WriteOutcome], LoadStats]:
    """`count` createCustomer mutations through `url`, each with its own idempotencyKey."""
    stats = LoadStats()
    outcomes = [WriteOutcome(key=f"{prefix}-{i}") for i in range(count)]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            stats.attempted += 1
            owner = owner_of(i) if owner_of is not None else None
            variables = {
                "input": {
                    "kind": "INDIVIDUAL",
                    "name": f"{prefix} 客户 {i}",
                    "ownerId": owner,
                    "team": "east" if owner else None,
                    "idempotencyKey": outcomes[i].key,
                }
            }
            await idempotent_write(
                http,
                url=url,
                query=CREATE_CUSTOMER,
                variables=variables,
                field_name="createCustomer",
                outcome=outcomes[i],
                stats=stats,
            )
            if progress is not None:
                progress[0] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes, stats
