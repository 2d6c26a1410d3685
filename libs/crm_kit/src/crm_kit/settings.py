"""Settings shared by every service, read once from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27018/?directConnection=true"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5673/"
DEFAULT_DEV_JWT_SECRET = "crm-dev-secret-change-me-0123456789abcdef"
DEFAULT_DEV_FILE_LINK_SECRET = "crm-dev-file-link-secret-change-me-0123456789"


# Environment readers, public so services and tools read their own settings the same way.

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def truthy(value: str) -> bool:
    """``1``/``true``/``yes``/``on`` (any case, surrounding blanks ignored)."""
    return value.strip().lower() in TRUE_WORDS


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else truthy(raw)


def env_secret(name: str, default: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Kubernetes secret mounts)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


PRODUCTION = "production"
MIN_HS_SECRET_BYTES = 32


class InsecureConfiguration(RuntimeError):
    """Production mode with development secrets or insecure settings: refuse to start.
    The message names the settings, never their values."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "refusing to start in production mode (CRM_ENV=production): " + "; ".join(problems)
        )
        self.problems = problems


def environment() -> str:
    """``CRM_ENV``: ``development`` (default) or ``production``."""
    return env_str("CRM_ENV", "development").strip().lower()


def refuse_in_production(problems: list[str]) -> None:
    if problems and environment() == PRODUCTION:
        raise InsecureConfiguration(problems)


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to its query string (existing parameters win)."""
    if not params:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    merged = {**params, **query}
    return urlunsplit(parts._replace(query=urlencode(merged)))


@dataclass(frozen=True, slots=True)
class TransportSecurity:
    """TLS to MongoDB and RabbitMQ, applied to the connection URLs.

    MongoDB: ``MONGODB_TLS`` (on/off), ``MONGODB_TLS_CA_FILE``, ``MONGODB_TLS_CERT_KEY_FILE``
    (client certificate and key in one PEM, for x.509 auth) become the standard ``tls``,
    ``tlsCAFile`` and ``tlsCertificateKeyFile`` URI options. RabbitMQ: an ``amqps://`` URL with
    ``AMQP_TLS_CA_FILE``, ``AMQP_TLS_CERT_FILE``, ``AMQP_TLS_KEY_FILE`` as the ``cafile``,
    ``certfile``, ``keyfile`` URL options. Options already in a URL are kept as they are.
    """

    mongodb_tls: bool = False
    mongodb_ca_file: str = ""
    mongodb_cert_key_file: str = ""
    amqp_ca_file: str = ""
    amqp_cert_file: str = ""
    amqp_key_file: str = ""

    @classmethod
    def from_env(cls) -> TransportSecurity:
        return cls(
            mongodb_tls=env_bool("MONGODB_TLS", False),
            mongodb_ca_file=env_str("MONGODB_TLS_CA_FILE", ""),
            mongodb_cert_key_file=env_str("MONGODB_TLS_CERT_KEY_FILE", ""),
            amqp_ca_file=env_str("AMQP_TLS_CA_FILE", ""),
            amqp_cert_file=env_str("AMQP_TLS_CERT_FILE", ""),
            amqp_key_file=env_str("AMQP_TLS_KEY_FILE", ""),
        )

    def mongodb_uri(self, uri: str) -> str:
        params: dict[str, str] = {}
        if self.mongodb_tls or self.mongodb_ca_file or self.mongodb_cert_key_file:
            params["tls"] = "true"
        if self.mongodb_ca_file:
            params["tlsCAFile"] = self.mongodb_ca_file
        if self.mongodb_cert_key_file:
            params["tlsCertificateKeyFile"] = self.mongodb_cert_key_file
        return with_query(uri, params)

    def amqp_url(self, url: str) -> str:
        if not url.startswith("amqps://"):
            return url
        params = {
            name: value
            for name, value in (
                ("cafile", self.amqp_ca_file),
                ("certfile", self.amqp_cert_file),
                ("keyfile", self.amqp_key_file),
            )
            if value
        }
        return with_query(url, params)


def mongodb_uses_tls(uri: str) -> bool:
    query = dict(parse_qsl(urlsplit(uri).query))
    return uri.startswith("mongodb+srv://") or any(
        query.get(k, "").lower() == "true" for k in ("tls", "ssl")
    )


@dataclass(frozen=True, slots=True)
class AuthSettings:
    jwt_secret: str = DEFAULT_DEV_JWT_SECRET
    jwks_url: str = ""
    algorithms: tuple[str, ...] = ("HS256",)
    issuer: str = ""
    audience: str = ""
    leeway_seconds: int = 30

    @classmethod
    def from_env(cls, *, check: bool = True) -> AuthSettings:
        """`check`: refuse development secrets in production mode (off when the caller checks
        the whole settings object itself)."""
        jwks_url = env_str("JWT_JWKS_URL", "")
        default_algs = "RS256,ES256" if jwks_url else "HS256"
        settings = cls(
            jwt_secret=env_secret("JWT_SECRET", DEFAULT_DEV_JWT_SECRET),
            jwks_url=jwks_url,
            algorithms=tuple(a.strip() for a in env_str("JWT_ALGORITHMS", default_algs).split(",")),
            issuer=env_str("JWT_ISSUER", ""),
            audience=env_str("JWT_AUDIENCE", ""),
            leeway_seconds=env_int("JWT_LEEWAY_SECONDS", 30),
        )
        return settings.checked() if check else settings

    def production_problems(self) -> list[str]:
        problems: list[str] = []
        if any(a.upper().startswith("HS") for a in self.algorithms):
            if self.jwt_secret == DEFAULT_DEV_JWT_SECRET:
                problems.append("JWT_SECRET is the development secret")
            elif len(self.jwt_secret.encode()) < MIN_HS_SECRET_BYTES:
                problems.append(f"JWT_SECRET is shorter than {MIN_HS_SECRET_BYTES} bytes")
        if not self.audience:
            problems.append("JWT_AUDIENCE is not set (tokens for other services would pass)")
        return problems

    def checked(self) -> AuthSettings:
        """Itself, or InsecureConfiguration in production mode (gateway and services)."""
        refuse_in_production(self.production_problems())
        return self


FILE_LINK_TTL_BOUNDS = (30, 3600)


@dataclass(frozen=True, slots=True)
class FileLinkSettings:
    """Signed download links (`crm_kit.file_links`): `FILE_LINK_SECRET` (or the file named by
    `FILE_LINK_SECRET_FILE`), the HMAC-SHA256 key; `FILE_LINK_TTL_SECONDS` (300, 30 to 3600),
    how long a link works. Read by the services that serve files."""

    secret: str = field(default=DEFAULT_DEV_FILE_LINK_SECRET, repr=False)
    ttl_seconds: int = 300

    def __post_init__(self) -> None:
        low, high = FILE_LINK_TTL_BOUNDS
        if not low <= self.ttl_seconds <= high:
            raise ValueError(f"FILE_LINK_TTL_SECONDS must be {low} to {high} seconds")

    @classmethod
    def from_env(cls, *, check: bool = True) -> FileLinkSettings:
        """`check`: refuse the development secret in production mode."""
        settings = cls(
            secret=env_secret("FILE_LINK_SECRET", DEFAULT_DEV_FILE_LINK_SECRET),
            ttl_seconds=env_int("FILE_LINK_TTL_SECONDS", 300),
        )
        return settings.checked() if check else settings

    def production_problems(self) -> list[str]:
        if self.secret == DEFAULT_DEV_FILE_LINK_SECRET:
            return ["FILE_LINK_SECRET is the development secret"]
        if len(self.secret.encode()) < MIN_HS_SECRET_BYTES:
            return [f"FILE_LINK_SECRET is shorter than {MIN_HS_SECRET_BYTES} bytes"]
        return []

    def checked(self) -> FileLinkSettings:
        """Itself, or InsecureConfiguration in production mode."""
        refuse_in_production(self.production_problems())
        return self


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    service_name: str
    host: str = "127.0.0.1"
    port: int = 4001
    mongodb_uri: str = DEFAULT_MONGODB_URI
    mongodb_database: str = ""
    amqp_url: str = DEFAULT_AMQP_URL
    events_exchange: str = "crm.events"
    consumer_prefetch: int = 32
    consumer_max_attempts: int = 5
    outbox_poll_seconds: float = 0.2
    outbox_batch_size: int = 100
    consumer_retry_delay_ms: int = 1000
    consumer_handler_timeout_seconds: float = 30.0
    consumer_delivery_limit: int = 0  # 0: CONSUMER_MAX_ATTEMPTS * 2 (crash redeliveries)
    outbox_lease_seconds: float = 10.0
    outbox_retention_hours: float = 168.0
    outbox_age_alert_seconds: float = 60.0
    log_level: str = "INFO"
    log_format: str = "json"
    otlp_endpoint: str = ""
    upload_max_bytes: int = 10 * 1024 * 1024  # multipart request bodies (opt-in uploads)
    auth: AuthSettings = field(default_factory=AuthSettings)

    @classmethod
    def from_env(cls, service_name: str, default_port: int) -> ServiceSettings:
        prefix = service_name.upper()
        transport = TransportSecurity.from_env()
        return cls(
            service_name=service_name,
            host=env_str(f"{prefix}_HOST", env_str("HOST", "127.0.0.1")),
            port=env_int(f"{prefix}_PORT", default_port),
            mongodb_uri=transport.mongodb_uri(env_secret("MONGODB_URI", DEFAULT_MONGODB_URI)),
            mongodb_database=env_str(f"{prefix}_MONGODB_DATABASE", f"crm_{service_name}"),
            amqp_url=transport.amqp_url(env_secret("AMQP_URL", DEFAULT_AMQP_URL)),
            events_exchange=env_str("EVENTS_EXCHANGE", "crm.events"),
            consumer_prefetch=env_int("CONSUMER_PREFETCH", 32),
            consumer_max_attempts=env_int("CONSUMER_MAX_ATTEMPTS", 5),
            outbox_poll_seconds=env_float("OUTBOX_POLL_SECONDS", 0.2),
            outbox_batch_size=env_int("OUTBOX_BATCH_SIZE", 100),
            consumer_retry_delay_ms=env_int("CONSUMER_RETRY_DELAY_MS", 1000),
            consumer_handler_timeout_seconds=env_float("CONSUMER_HANDLER_TIMEOUT_SECONDS", 30.0),
            consumer_delivery_limit=env_int("CONSUMER_DELIVERY_LIMIT", 0),
            outbox_lease_seconds=env_float("OUTBOX_LEASE_SECONDS", 10.0),
            outbox_retention_hours=env_float("OUTBOX_RETENTION_HOURS", 168.0),
            outbox_age_alert_seconds=env_float("OUTBOX_AGE_ALERT_SECONDS", 60.0),
            log_level=env_str("LOG_LEVEL", "INFO"),
            log_format=env_str("LOG_FORMAT", "json"),
            otlp_endpoint=env_str("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            upload_max_bytes=env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
            auth=AuthSettings.from_env(check=False),
        ).checked()

    def production_problems(self) -> list[str]:
        problems = self.auth.production_problems()
        if self.mongodb_uri == DEFAULT_MONGODB_URI:
            problems.append("MONGODB_URI is the embedded development server")
        elif not mongodb_uses_tls(self.mongodb_uri):
            problems.append("MongoDB without TLS (set MONGODB_TLS=true or tls=true in the URI)")
        if "guest:guest@" in self.amqp_url:
            problems.append("AMQP_URL uses the development guest account")
        if not self.amqp_url.startswith("amqps://"):
            problems.append("RabbitMQ without TLS (use an amqps:// AMQP_URL)")
        return problems

    def checked(self) -> ServiceSettings:
        """Itself, or InsecureConfiguration in production mode."""
        refuse_in_production(self.production_problems())
        return self
