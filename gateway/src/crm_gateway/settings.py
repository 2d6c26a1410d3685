"""Gateway settings, read from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from crm_gateway.limits import Limits
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
            raise ValueError(f"entry {item!r} is not 'name=value'")
        result.append((name.strip(), url.strip()))
    return tuple(result)


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
    introspection: bool = False
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
    cors_origins: tuple[str, ...] = ()
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
        env = os.environ.get
        return cls(
            host=env("GATEWAY_HOST", "127.0.0.1"),
            port=int(env("GATEWAY_PORT", "4000")),
            workers=int(env("GATEWAY_WORKERS", "1")),
            backlog=int(env("GATEWAY_BACKLOG", "2048")),
            subgraphs=parse_subgraphs(env("GATEWAY_SUBGRAPHS", DEFAULT_SUBGRAPHS)),
            supergraph_file=env("GATEWAY_SUPERGRAPH_FILE", ""),
            introspection=_bool(env("GATEWAY_INTROSPECTION", "false")),
            field_suggestions=_bool(env("GATEWAY_FIELD_SUGGESTIONS", "false")),
            subgraph_timeout_seconds=float(env("GATEWAY_SUBGRAPH_TIMEOUT_SECONDS", "5")),
            subgraph_timeouts=tuple(
                (name, float(value))
                for name, value in parse_subgraphs(env("GATEWAY_SUBGRAPH_TIMEOUTS", ""))
            ),
            subgraph_retries=int(env("GATEWAY_SUBGRAPH_RETRIES", "1")),
            circuit_failures=int(env("GATEWAY_CIRCUIT_FAILURES", "5")),
            supergraph_poll_seconds=float(env("GATEWAY_SUPERGRAPH_POLL_SECONDS", "10")),
            max_connections=int(env("GATEWAY_MAX_CONNECTIONS", "200")),
            dedupe_requests=_bool(env("GATEWAY_DEDUPE_REQUESTS", "true")),
            subgraph_keepalive_seconds=float(env("GATEWAY_SUBGRAPH_KEEPALIVE_SECONDS", "4")),
            startup_backoff_max_seconds=float(env("GATEWAY_STARTUP_BACKOFF_MAX_SECONDS", "5")),
            readiness_timeout_seconds=float(env("GATEWAY_READINESS_TIMEOUT_SECONDS", "1")),
            plan_cache_size=int(env("GATEWAY_PLAN_CACHE_SIZE", "1000")),
            service_token=env("GATEWAY_SERVICE_TOKEN", ""),
            log_level=env("LOG_LEVEL", "INFO"),
            auth_required=_bool(env("GATEWAY_AUTH_REQUIRED", "true")),
            ws_init_timeout_seconds=float(env("GATEWAY_WS_INIT_TIMEOUT_SECONDS", "10")),
            ws_ping_seconds=float(env("GATEWAY_WS_PING_SECONDS", "15")),
            shutdown_grace_seconds=int(env("GATEWAY_SHUTDOWN_GRACE_SECONDS", "10")),
            max_depth=int(env("GATEWAY_MAX_DEPTH", "15")),
            max_aliases=int(env("GATEWAY_MAX_ALIASES", "30")),
            max_root_fields=int(env("GATEWAY_MAX_ROOT_FIELDS", "20")),
            max_tokens=int(env("GATEWAY_MAX_TOKENS", "5000")),
            max_cost=int(env("GATEWAY_MAX_COST", "20000")),
            default_list_size=int(env("GATEWAY_DEFAULT_LIST_SIZE", "10")),
            list_size_arguments=_list(
                env("GATEWAY_LIST_SIZE_ARGUMENTS", "first,last,limit,pageSize,take")
            ),
            max_request_bytes=int(env("GATEWAY_MAX_REQUEST_BYTES", "1000000")),
            max_batch=int(env("GATEWAY_MAX_BATCH", "10")),
            max_upload_bytes=int(env("GATEWAY_MAX_UPLOAD_BYTES", "20000000")),
            max_upload_files=int(env("GATEWAY_MAX_UPLOAD_FILES", "10")),
            trusted_proxy_hops=int(env("GATEWAY_TRUSTED_PROXY_HOPS", "0")),
            apq=_bool(env("GATEWAY_APQ", "true")),
            apq_cache_size=int(env("GATEWAY_APQ_CACHE_SIZE", "10000")),
            safelist_file=env("GATEWAY_SAFELIST_FILE", ""),
            rate_limit_user=int(env("GATEWAY_RATE_LIMIT_USER", "0")),
            rate_limit_client=int(env("GATEWAY_RATE_LIMIT_CLIENT", "0")),
            rate_limit_window_seconds=float(env("GATEWAY_RATE_LIMIT_WINDOW_SECONDS", "60")),
            client_id_header=env("GATEWAY_CLIENT_ID_HEADER", "x-client-id").lower(),
            cors_origins=_list(env("GATEWAY_CORS_ORIGINS", "")),
            compression=_bool(env("GATEWAY_COMPRESSION", "true")),
            compression_min_bytes=int(env("GATEWAY_COMPRESSION_MIN_BYTES", "1024")),
            server_timing=_bool(env("GATEWAY_SERVER_TIMING", "false")),
            debug_query_plan=_bool(env("GATEWAY_DEBUG_QUERY_PLAN", "false")),
            otlp_endpoint=env("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            jwks_refresh_cooldown_seconds=float(env("GATEWAY_JWKS_REFRESH_COOLDOWN_SECONDS", "5")),
            jwks_lifespan_seconds=float(env("GATEWAY_JWKS_LIFESPAN_SECONDS", "300")),
            auth=AuthSettings.from_env(),
        )
