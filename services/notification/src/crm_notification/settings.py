"""Settings of the notification service (environment variables, documented in README)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain (the local sink)
    STARTTLS = "starttls"
    TLS = "tls"  # implicit TLS (port 465)


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _secret(name: str) -> str:
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: SmtpSecurity = SmtpSecurity.NONE
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 10.0
    smtp_verify_tls: bool = True
    mail_from: str = "CRM <no-reply@crm.local>"
    mail_reply_to: str = ""
    webhook_timeout_seconds: float = 10.0
    webhook_allow_private: bool = False
    webhook_disable_after_failures: int = 20
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 6 * 3600.0
    webhook_max_attempts: int = 12
    email_max_attempts: int = 8
    scheduler_poll_seconds: float = 0.5
    scheduler_lease_seconds: float = 60.0
    scheduler_batch: int = 20
    scheduler_enabled: bool = True
    replica_id: str = ""
    customer_graphql_url: str = "http://127.0.0.1:4001/graphql"  # customer-facing mails
    service_token_file: str = ""  # production: a token the IdP issued to this service

    @classmethod
    def from_env(cls) -> NotificationSettings:
        return cls(
            smtp_host=_env("SMTP_HOST", "127.0.0.1"),
            smtp_port=int(_env("SMTP_PORT", "1025")),
            smtp_security=SmtpSecurity(_env("SMTP_SECURITY", "none").lower()),
            smtp_username=_env("SMTP_USERNAME", ""),
            smtp_password=_secret("SMTP_PASSWORD"),
            smtp_timeout_seconds=float(_env("SMTP_TIMEOUT_SECONDS", "10")),
            smtp_verify_tls=_flag("SMTP_VERIFY_TLS", True),
            mail_from=_env("MAIL_FROM", "CRM <no-reply@crm.local>"),
            mail_reply_to=_env("MAIL_REPLY_TO", ""),
            webhook_timeout_seconds=float(_env("WEBHOOK_TIMEOUT_SECONDS", "10")),
            webhook_allow_private=_flag("WEBHOOK_ALLOW_PRIVATE", False),
            webhook_disable_after_failures=int(_env("WEBHOOK_DISABLE_AFTER_FAILURES", "20")),
            retry_base_seconds=float(_env("DELIVERY_RETRY_BASE_SECONDS", "30")),
            retry_cap_seconds=float(_env("DELIVERY_RETRY_CAP_SECONDS", str(6 * 3600))),
            webhook_max_attempts=int(_env("WEBHOOK_MAX_ATTEMPTS", "12")),
            email_max_attempts=int(_env("EMAIL_MAX_ATTEMPTS", "8")),
            scheduler_poll_seconds=float(_env("SCHEDULER_POLL_SECONDS", "0.5")),
            scheduler_lease_seconds=float(_env("SCHEDULER_LEASE_SECONDS", "60")),
            scheduler_batch=int(_env("SCHEDULER_BATCH", "20")),
            scheduler_enabled=_flag("SCHEDULER_ENABLED", True),
            replica_id=_env("REPLICA_ID", ""),
            customer_graphql_url=_env("CUSTOMER_GRAPHQL_URL", "http://127.0.0.1:4001/graphql"),
            service_token_file=_env("SERVICE_TOKEN_FILE", ""),
        )

    def replica(self) -> str:
        return self.replica_id or f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
