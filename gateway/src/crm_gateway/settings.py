"""Gateway settings, read from environment variables."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_gateway.execution.limits import Limits
from crm_kit.settings import AuthSettings, env_bool, env_float, env_int, env_str

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
        d = cls()  # the field defaults above are the defaults of the variables too
        return cls(
            host=env_str("GATEWAY_HOST", d.host),
            port=env_int("GATEWAY_PORT", d.port),
            workers=env_int("GATEWAY_WORKERS", d.workers),
            backlog=env_int("GATEWAY_BACKLOG", d.backlog),
            subgraphs=parse_subgraphs(env_str("GATEWAY_SUBGRAPHS", DEFAULT_SUBGRAPHS)),
            supergraph_file=env_str("GATEWAY_SUPERGRAPH_FILE", d.supergraph_file),
            introspection=env_bool("GATEWAY_INTROSPECTION", d.introspection),
            field_suggestions=env_bool("GATEWAY_FIELD_SUGGESTIONS", d.field_suggestions),
            subgraph_timeout_seconds=env_float(
                "GATEWAY_SUBGRAPH_TIMEOUT_SECONDS", d.subgraph_timeout_seconds
            ),
            subgraph_timeouts=tuple(
                (name, float(value))
                for name, value in parse_subgraphs(env_str("GATEWAY_SUBGRAPH_TIMEOUTS", ""))
            ),
            subgraph_retries=env_int("GATEWAY_SUBGRAPH_RETRIES", d.subgraph_retries),
            circuit_failures=env_int("GATEWAY_CIRCUIT_FAILURES", d.circuit_failures),
            supergraph_poll_seconds=env_float(
                "GATEWAY_SUPERGRAPH_POLL_SECONDS", d.supergraph_poll_seconds
            ),
            max_connections=env_int("GATEWAY_MAX_CONNECTIONS", d.max_connections),
            dedupe_requests=env_bool("GATEWAY_DEDUPE_REQUESTS", d.dedupe_requests),
            subgraph_keepalive_seconds=env_float(
                "GATEWAY_SUBGRAPH_KEEPALIVE_SECONDS", d.subgraph_keepalive_seconds
            ),
            startup_backoff_max_seconds=env_float(
                "GATEWAY_STARTUP_BACKOFF_MAX_SECONDS", d.startup_backoff_max_seconds
            ),
            readiness_timeout_seconds=env_float(
                "GATEWAY_READINESS_TIMEOUT_SECONDS", d.readiness_timeout_seconds
            ),
            plan_cache_size=env_int("GATEWAY_PLAN_CACHE_SIZE", d.plan_cache_size),
            service_token=env_str("GATEWAY_SERVICE_TOKEN", d.service_token),
            log_level=env_str("LOG_LEVEL", d.log_level),
            auth_required=env_bool("GATEWAY_AUTH_REQUIRED", d.auth_required),
            ws_init_timeout_seconds=env_float(
                "GATEWAY_WS_INIT_TIMEOUT_SECONDS", d.ws_init_timeout_seconds
            ),
            ws_ping_seconds=env_float("GATEWAY_WS_PING_SECONDS", d.ws_ping_seconds),
            shutdown_grace_seconds=env_int(
                "GATEWAY_SHUTDOWN_GRACE_SECONDS", d.shutdown_grace_seconds
            ),
            max_depth=env_int("GATEWAY_MAX_DEPTH", d.max_depth),
            max_aliases=env_int("GATEWAY_MAX_ALIASES", d.max_aliases),
            max_root_fields=env_int("GATEWAY_MAX_ROOT_FIELDS", d.max_root_fields),
            max_tokens=env_int("GATEWAY_MAX_TOKENS", d.max_tokens),
            max_cost=env_int("GATEWAY_MAX_COST", d.max_cost),
            default_list_size=env_int("GATEWAY_DEFAULT_LIST_SIZE", d.default_list_size),
            list_size_arguments=_list(
                env_str("GATEWAY_LIST_SIZE_ARGUMENTS", ",".join(d.list_size_arguments))
            ),
            max_request_bytes=env_int("GATEWAY_MAX_REQUEST_BYTES", d.max_request_bytes),
            max_batch=env_int("GATEWAY_MAX_BATCH", d.max_batch),
            max_upload_bytes=env_int("GATEWAY_MAX_UPLOAD_BYTES", d.max_upload_bytes),
            max_upload_files=env_int("GATEWAY_MAX_UPLOAD_FILES", d.max_upload_files),
            trusted_proxy_hops=env_int("GATEWAY_TRUSTED_PROXY_HOPS", d.trusted_proxy_hops),
            apq=env_bool("GATEWAY_APQ", d.apq),
            apq_cache_size=env_int("GATEWAY_APQ_CACHE_SIZE", d.apq_cache_size),
            safelist_file=env_str("GATEWAY_SAFELIST_FILE", d.safelist_file),
            rate_limit_user=env_int("GATEWAY_RATE_LIMIT_USER", d.rate_limit_user),
            rate_limit_client=env_int("GATEWAY_RATE_LIMIT_CLIENT", d.rate_limit_client),
            rate_limit_window_seconds=env_float(
                "GATEWAY_RATE_LIMIT_WINDOW_SECONDS", d.rate_limit_window_seconds
            ),
            client_id_header=env_str("GATEWAY_CLIENT_ID_HEADER", d.client_id_header).lower(),
            cors_origins=_list(env_str("GATEWAY_CORS_ORIGINS", "")),
            compression=env_bool("GATEWAY_COMPRESSION", d.compression),
            compression_min_bytes=env_int("GATEWAY_COMPRESSION_MIN_BYTES", d.compression_min_bytes),
            server_timing=env_bool("GATEWAY_SERVER_TIMING", d.server_timing),
            debug_query_plan=env_bool("GATEWAY_DEBUG_QUERY_PLAN", d.debug_query_plan),
            otlp_endpoint=env_str("OTEL_EXPORTER_OTLP_ENDPOINT", d.otlp_endpoint),
            jwks_refresh_cooldown_seconds=env_float(
                "GATEWAY_JWKS_REFRESH_COOLDOWN_SECONDS", d.jwks_refresh_cooldown_seconds
            ),
            jwks_lifespan_seconds=env_float(
                "GATEWAY_JWKS_LIFESPAN_SECONDS", d.jwks_lifespan_seconds
            ),
            auth=AuthSettings.from_env(),
        )
