"""Client request headers the gateway passes on to subgraphs (HTTP fetches and the WebSocket
upgrade of subscriptions alike).

- `authorization`, `traceparent`/`tracestate`: auth and trace context (`subgraph_headers`).
- `accept-language`: subgraphs localise their error messages from it.
- `x-forwarded-for`: the client's address for audit logs. The gateway is the public edge, so
  an incoming `X-Forwarded-For` is the client's own claim and is dropped, unless
  `GATEWAY_TRUSTED_PROXY_HOPS` says how many proxies in front of the gateway (an ingress, a
  load balancer) append to it: their last N entries are kept. The peer address the gateway saw
  is appended, so the first entry of the forwarded header is the client as far as it is known.
"""

from __future__ import annotations

from collections.abc import Mapping

PASSED_THROUGH = ("accept-language",)
_MAX_HEADER_CHARS = 1024  # a longer Accept-Language / X-Forwarded-For is cut, not forwarded whole


def forwarded_for(incoming: str | None, peer: str | None, trusted_hops: int) -> str | None:
    """The `X-Forwarded-For` value to send: trusted entries of `incoming`, then `peer`."""
    chain: list[str] = []
    if incoming and trusted_hops > 0:
        entries = [item.strip() for item in incoming.split(",") if item.strip()]
        chain = entries[-trusted_hops:]
    if peer:
        chain.append(peer)
    return ", ".join(chain)[:_MAX_HEADER_CHARS] if chain else None


def client_headers(
    headers: Mapping[str, str], peer: str | None, trusted_hops: int = 0
) -> dict[str, str]:
    """Headers derived from the client request to send with every subgraph request."""
    result: dict[str, str] = {}
    for name in PASSED_THROUGH:
        value = headers.get(name)
        if value:
            result[name] = value[:_MAX_HEADER_CHARS]
    chain = forwarded_for(headers.get("x-forwarded-for"), peer, trusted_hops)
    if chain:
        result["x-forwarded-for"] = chain
    return result


def subgraph_headers(
    headers: Mapping[str, str],
    peer: str | None,
    trusted_hops: int,
    *,
    authorization: str | None,
    traceparent: str | None,
) -> dict[str, str]:
    """All headers for the subgraph requests of one client request or connection: the
    `client_headers`, the credentials it was authenticated with and its trace context."""
    result = client_headers(headers, peer, trusted_hops)
    for name, value in (
        ("authorization", authorization),
        ("traceparent", traceparent),
        ("tracestate", headers.get("tracestate")),
    ):
        if value:
            result[name] = value
    return result
