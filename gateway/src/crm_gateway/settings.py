"""Gateway settings, read from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from crm_kit.settings import AuthSettings

DEFAULT_SUBGRAPHS = (
    "customer=http://127.0.0.1:4001/graphql,"
    "interaction=http://127.0.0.1:4002/graphql,"
    "notification=http://127.0.0.1:4003/graphql"
)


def parse_subgraphs(value: str) -> tuple[tuple[str, str], ...]:
    """`"a=http://x/graphql,b=http://y/graphql"` -> (("a", "http://x/graphql"), ...)."""
    result: list[tuple[str, str]] = []
    for raw in value.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise ValueError(f"GATEWAY_SUBGRAPHS entry {item!r} is not 'name=url'")
        result.append((name.strip(), url.strip()))
    return tuple(result)


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    host: str = "127.0.0.1"
    port: int = 4000
    subgraphs: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: parse_subgraphs(DEFAULT_SUBGRAPHS)
    )
    supergraph_file: str = ""
    introspection: bool = True
    subgraph_timeout_seconds: float = 5.0
    max_connections: int = 200
    startup_backoff_max_seconds: float = 5.0
    readiness_timeout_seconds: float = 1.0
    plan_cache_size: int = 1000
    # Sent as `Authorization` when the gateway itself calls subgraphs (SDL loading, readiness)
    service_token: str = ""
    log_level: str = "INFO"
    auth: AuthSettings = field(default_factory=AuthSettings)

    @classmethod
    def from_env(cls) -> GatewaySettings:
        env = os.environ.get
        return cls(
            host=env("GATEWAY_HOST", "127.0.0.1"),
            port=int(env("GATEWAY_PORT", "4000")),
            subgraphs=parse_subgraphs(env("GATEWAY_SUBGRAPHS", DEFAULT_SUBGRAPHS)),
            supergraph_file=env("GATEWAY_SUPERGRAPH_FILE", ""),
            introspection=_bool(env("GATEWAY_INTROSPECTION", "true")),
            subgraph_timeout_seconds=float(env("GATEWAY_SUBGRAPH_TIMEOUT_SECONDS", "5")),
            max_connections=int(env("GATEWAY_MAX_CONNECTIONS", "200")),
            startup_backoff_max_seconds=float(env("GATEWAY_STARTUP_BACKOFF_MAX_SECONDS", "5")),
            readiness_timeout_seconds=float(env("GATEWAY_READINESS_TIMEOUT_SECONDS", "1")),
            plan_cache_size=int(env("GATEWAY_PLAN_CACHE_SIZE", "1000")),
            service_token=env("GATEWAY_SERVICE_TOKEN", ""),
            log_level=env("LOG_LEVEL", "INFO"),
            auth=AuthSettings.from_env(),
        )
