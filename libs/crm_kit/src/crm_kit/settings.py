"""Settings shared by every service, read once from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MONGODB_URI = "mongodb://127.0.0.1:27018/?directConnection=true"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5673/"
DEFAULT_DEV_JWT_SECRET = "crm-dev-secret-change-me-0123456789abcdef"


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _secret(name: str, default: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Kubernetes secret mounts)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_secret(name: str, default: str) -> str:
    """Public form of the NAME / NAME_FILE lookup (tools read AMQP_URL and MONGODB_URI so)."""
    return _secret(name, default)


@dataclass(frozen=True, slots=True)
class AuthSettings:
    jwt_secret: str = DEFAULT_DEV_JWT_SECRET
    jwks_url: str = ""
    algorithms: tuple[str, ...] = ("HS256",)
    issuer: str = ""
    audience: str = ""
    leeway_seconds: int = 30

    @classmethod
    def from_env(cls) -> AuthSettings:
        jwks_url = _env("JWT_JWKS_URL", "")
        default_algs = "RS256,ES256" if jwks_url else "HS256"
        return cls(
            jwt_secret=_secret("JWT_SECRET", DEFAULT_DEV_JWT_SECRET),
            jwks_url=jwks_url,
            algorithms=tuple(a.strip() for a in _env("JWT_ALGORITHMS", default_algs).split(",")),
            issuer=_env("JWT_ISSUER", ""),
            audience=_env("JWT_AUDIENCE", ""),
            leeway_seconds=_env_int("JWT_LEEWAY_SECONDS", 30),
        )


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
    auth: AuthSettings = field(default_factory=AuthSettings)

    @classmethod
    def from_env(cls, service_name: str, default_port: int) -> ServiceSettings:
        prefix = service_name.upper()
        return cls(
            service_name=service_name,
            host=_env(f"{prefix}_HOST", _env("HOST", "127.0.0.1")),
            port=_env_int(f"{prefix}_PORT", default_port),
            mongodb_uri=_secret("MONGODB_URI", DEFAULT_MONGODB_URI),
            mongodb_database=_env(f"{prefix}_MONGODB_DATABASE", f"crm_{service_name}"),
            amqp_url=_secret("AMQP_URL", DEFAULT_AMQP_URL),
            events_exchange=_env("EVENTS_EXCHANGE", "crm.events"),
            consumer_prefetch=_env_int("CONSUMER_PREFETCH", 32),
            consumer_max_attempts=_env_int("CONSUMER_MAX_ATTEMPTS", 5),
            outbox_poll_seconds=_env_float("OUTBOX_POLL_SECONDS", 0.2),
            outbox_batch_size=_env_int("OUTBOX_BATCH_SIZE", 100),
            consumer_retry_delay_ms=_env_int("CONSUMER_RETRY_DELAY_MS", 1000),
            consumer_handler_timeout_seconds=_env_float("CONSUMER_HANDLER_TIMEOUT_SECONDS", 30.0),
            consumer_delivery_limit=_env_int("CONSUMER_DELIVERY_LIMIT", 0),
            outbox_lease_seconds=_env_float("OUTBOX_LEASE_SECONDS", 10.0),
            outbox_retention_hours=_env_float("OUTBOX_RETENTION_HOURS", 168.0),
            outbox_age_alert_seconds=_env_float("OUTBOX_AGE_ALERT_SECONDS", 60.0),
            log_level=_env("LOG_LEVEL", "INFO"),
            log_format=_env("LOG_FORMAT", "json"),
            otlp_endpoint=_env("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
            auth=AuthSettings.from_env(),
        )
