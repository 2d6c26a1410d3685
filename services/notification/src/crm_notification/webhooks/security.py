"""The SSRF guard of webhook URLs, checked when a subscription is registered and again before
every POST (pure apart from DNS resolution, which is injected)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit


class UnsafeTarget(ValueError):
    """The URL is not http(s) or resolves to an address webhooks may not reach."""


type Resolver = Callable[[str, int], Sequence[str]]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Raise UnsafeTarget unless `url` is http(s) and every address it resolves to is public
    (or `allow_private`, for development and tests with a local receiver)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("webhook URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise UnsafeTarget("webhook URL must not carry credentials")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolver(parts.hostname, port)
    except OSError as exc:
        raise UnsafeTarget(f"webhook host does not resolve: {parts.hostname}") from exc
    if not addresses:
        raise UnsafeTarget(f"webhook host does not resolve: {parts.hostname}")
    for address in addresses:
        if forbidden_address(address):
            raise UnsafeTarget(f"webhook host {parts.hostname} resolves to a private address")
