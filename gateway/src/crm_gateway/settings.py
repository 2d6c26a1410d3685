"""Gateway settings, read from environment variables."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crm_gateway.execution.limits import Limits
from crm_kit.settings import PRODUCTION, AuthSettings, truthy

DEFAULT_SUBGRAPHS = (
    "customer=http://127.0.0.1:4001/graphql,"
    "interaction=http://127.0.0.1:4002/graphql,"
    "notification=http://127.0.0.1:4003/graphql,"
    "sales=http://127.0.0.1:4004/graphql"
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
            raise ValueError(f"entry {item!r} is not 'name=value'")
        result.append((name.strip(), url.strip()))
    return tuple(result)


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


# Browser origins a front end on the developer's machine runs on (any port); `*` stands for
# one port or host label (`crm_gateway.edge.cors`)
DEVELOPMENT_CORS_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")
# What `CRM_ENV=production` changes when the variables are not set: no introspection, no
# cross-origin browser access unless origins are configured
PRODUCTION_DEFAULTS: dict[str, Any] = {"introspection": False, "cors_origins": ()}


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    host: str = "127.0.0.1"
    port: int = 4000
    workers: int = 1  # processes serving the port (python -m crm_gateway)
    backlog: int = 2048
    subgraphs: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: parse_subgraphs(DEFAULT_SUBGRAPHS)
    )
    supergraph_file: str = ""
    # `development` (the defaults below) or `production` (PRODUCTION_DEFAULTS apply)
    environment: str = "development"
    introspection: bool = True
    # `Node`, `node(nodeId:)` / `nodes(nodeIds:)` and `nodeId` on every entity type
    global_object_identification: bool = True
    field_suggestions: bool = False  # "Did you mean ...?" in validation errors
    subgraph_timeout_seconds: float = 5.0
    subgraph_timeouts: tuple[tuple[str, float], ...] = ()  # per-subgraph overrides
    subgraph_retries: int = 1  # extra attempts for query fetches after a transport failure
    circuit_failures: int = 5  # consecutive failures that open a subgraph's circuit (0: off)
    supergraph_poll_seconds: float = 10.0  # hot reload: re-read the file / SDLs (0: off)
    max_connections: int = 200
    dedupe_requests: bool = True  # identical query fetches in flight share one request
    subgraph_keepalive_seconds: float = 4.0  # idle pooled connections are closed after this
    startup_backoff_max_seconds: float = 5.0
    readiness_timeout_seconds: float = 1.0
    plan_cache_size: int = 1000
    # Sent as `Authorization` when the gateway itself calls subgraphs (SDL loading, readiness)
    service_token: str = ""
    log_level: str = "INFO"
    # False only for conformance runs: anonymous requests are then accepted
    auth_required: bool = True
    ws_init_timeout_seconds: float = 10.0  # graphql-transport-ws: connection_init deadline
    ws_ping_seconds: float = 15.0  # heartbeat ping interval to clients (0: none)
    shutdown_grace_seconds: int = 10  # requests in flight get this long on SIGTERM
    # protection
    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 20
    max_tokens: int = 5000
    max_cost: int = 20000
    default_list_size: int = 10
    list_size_arguments: tuple[str, ...] = ("first", "last", "limit", "pageSize", "take")
    max_request_bytes: int = 1_000_000
    max_batch: int = 10  # operations in one JSON-array request
    # multipart file uploads (GraphQL multipart request spec), forwarded to one subgraph
    max_upload_bytes: int = 20_000_000  # whole multipart body
    max_upload_files: int = 10
    trusted_proxy_hops: int = 0  # proxies in front whose X-Forwarded-For entries are kept
    apq: bool = True
    apq_cache_size: int = 10000
    safelist_file: str = ""  # when set, only the operations it lists run
    rate_limit_user: int = 0  # requests per window per user (0: off)
    rate_limit_client: int = 0  # requests per window per client id (0: off)
    rate_limit_window_seconds: float = 60.0
    client_id_header: str = "x-client-id"
    cors_origins: tuple[str, ...] = DEVELOPMENT_CORS_ORIGINS
    compression: bool = True
    compression_min_bytes: int = 1024
    # `Server-Timing: gateway;dur=…, subgraphs;dur=…` on responses (overhead measurement)
    server_timing: bool = False
    debug_query_plan: bool = False  # return the plan in `extensions` on `x-gateway-debug: plan`
    otlp_endpoint: str = ""
    jwks_refresh_cooldown_seconds: float = 5.0  # min. seconds between refetches for unknown kids
    jwks_lifespan_seconds: float = 300.0  # how long a fetched key set is used
    auth: AuthSettings = field(default_factory=AuthSettings)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_root_fields=self.max_root_fields,
            max_tokens=self.max_tokens,
            max_cost=self.max_cost,
            default_list_size=self.default_list_size,
            list_size_arguments=self.list_size_arguments,
        )

    @classmethod
    def from_env(cls) -> GatewaySettings:
        """Each variable of `ENVIRONMENT` that is set, parsed; the field defaults above are
        the defaults of the variables too, except that `CRM_ENV=production` replaces some of
        them by PRODUCTION_DEFAULTS."""
        values: dict[str, Any] = {}
        for name, variable, parse in ENVIRONMENT:
            raw = os.environ.get(variable)
            if raw is not None:
                values[name] = parse(raw)
        if values.get("environment") == PRODUCTION:
            values = {**PRODUCTION_DEFAULTS, **values}
        return cls(**values, auth=AuthSettings.from_env())


def _timeouts(value: str) -> tuple[tuple[str, float], ...]:
    return tuple((name, float(seconds)) for name, seconds in parse_subgraphs(value))


def _lower(value: str) -> str:
    return value.lower()


def _str(value: str) -> str:
    return value


def _environment(value: str) -> str:
    return value.strip().lower()


ENVIRONMENT: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    # (field, environment variable, parser of the variable's value)
    ("host", "GATEWAY_HOST", _str),
    ("port", "GATEWAY_PORT", int),
    ("workers", "GATEWAY_WORKERS", int),
    ("backlog", "GATEWAY_BACKLOG", int),
    ("subgraphs", "GATEWAY_SUBGRAPHS", parse_subgraphs),
    ("supergraph_file", "GATEWAY_SUPERGRAPH_FILE", _str),
    ("environment", "CRM_ENV", _environment),
    ("introspection", "GATEWAY_INTROSPECTION", truthy),
    ("global_object_identification", "GATEWAY_GLOBAL_OBJECT_IDENTIFICATION", truthy),
    ("field_suggestions", "GATEWAY_FIELD_SUGGESTIONS", truthy),
    ("subgraph_timeout_seconds", "GATEWAY_SUBGRAPH_TIMEOUT_SECONDS", float),
    ("subgraph_timeouts", "GATEWAY_SUBGRAPH_TIMEOUTS", _timeouts),
    ("subgraph_retries", "GATEWAY_SUBGRAPH_RETRIES", int),
    ("circuit_failures", "GATEWAY_CIRCUIT_FAILURES", int),
    ("supergraph_poll_seconds", "GATEWAY_SUPERGRAPH_POLL_SECONDS", float),
    ("max_connections", "GATEWAY_MAX_CONNECTIONS", int),
    ("dedupe_requests", "GATEWAY_DEDUPE_REQUESTS", truthy),
    ("subgraph_keepalive_seconds", "GATEWAY_SUBGRAPH_KEEPALIVE_SECONDS", float),
    ("startup_backoff_max_seconds", "GATEWAY_STARTUP_BACKOFF_MAX_SECONDS", float),
    ("readiness_timeout_seconds", "GATEWAY_READINESS_TIMEOUT_SECONDS", float),
    ("plan_cache_size", "GATEWAY_PLAN_CACHE_SIZE", int),
    ("service_token", "GATEWAY_SERVICE_TOKEN", _str),
    ("log_level", "LOG_LEVEL", _str),
    ("auth_required", "GATEWAY_AUTH_REQUIRED", truthy),
    ("ws_init_timeout_seconds", "GATEWAY_WS_INIT_TIMEOUT_SECONDS", float),
    ("ws_ping_seconds", "GATEWAY_WS_PING_SECONDS", float),
    ("shutdown_grace_seconds", "GATEWAY_SHUTDOWN_GRACE_SECONDS", int),
    ("max_depth", "GATEWAY_MAX_DEPTH", int),
    ("max_aliases", "GATEWAY_MAX_ALIASES", int),
    ("max_root_fields", "GATEWAY_MAX_ROOT_FIELDS", int),
    ("max_tokens", "GATEWAY_MAX_TOKENS", int),
    ("max_cost", "GATEWAY_MAX_COST", int),
    ("default_list_size", "GATEWAY_DEFAULT_LIST_SIZE", int),
    ("list_size_arguments", "GATEWAY_LIST_SIZE_ARGUMENTS", _list),
    ("max_request_bytes", "GATEWAY_MAX_REQUEST_BYTES", int),
    ("max_batch", "GATEWAY_MAX_BATCH", int),
    ("max_upload_bytes", "GATEWAY_MAX_UPLOAD_BYTES", int),
    ("max_upload_files", "GATEWAY_MAX_UPLOAD_FILES", int),
    ("trusted_proxy_hops", "GATEWAY_TRUSTED_PROXY_HOPS", int),
    ("apq", "GATEWAY_APQ", truthy),
    ("apq_cache_size", "GATEWAY_APQ_CACHE_SIZE", int),
    ("safelist_file", "GATEWAY_SAFELIST_FILE", _str),
    ("rate_limit_user", "GATEWAY_RATE_LIMIT_USER", int),
    ("rate_limit_client", "GATEWAY_RATE_LIMIT_CLIENT", int),
    ("rate_limit_window_seconds", "GATEWAY_RATE_LIMIT_WINDOW_SECONDS", float),
    ("client_id_header", "GATEWAY_CLIENT_ID_HEADER", _lower),
    ("cors_origins", "GATEWAY_CORS_ORIGINS", _list),
    ("compression", "GATEWAY_COMPRESSION", truthy),
    ("compression_min_bytes", "GATEWAY_COMPRESSION_MIN_BYTES", int),
    ("server_timing", "GATEWAY_SERVER_TIMING", truthy),
    ("debug_query_plan", "GATEWAY_DEBUG_QUERY_PLAN", truthy),
    ("otlp_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", _str),
    ("jwks_refresh_cooldown_seconds", "GATEWAY_JWKS_REFRESH_COOLDOWN_SECONDS", float),
    ("jwks_lifespan_seconds", "GATEWAY_JWKS_LIFESPAN_SECONDS", float),
)
