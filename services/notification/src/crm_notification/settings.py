"""Settings of the notification service (environment variables, documented in README)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from crm_kit import lease
from crm_kit.settings import env_bool, env_float, env_int, env_secret, env_str


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain (the local sink)
    STARTTLS = "starttls"
    TLS = "tls"  # implicit TLS (port 465)


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
            smtp_host=env_str("SMTP_HOST", "127.0.0.1"),
            smtp_port=env_int("SMTP_PORT", 1025),
            smtp_security=SmtpSecurity(env_str("SMTP_SECURITY", "none").lower()),
            smtp_username=env_str("SMTP_USERNAME", ""),
            smtp_password=env_secret("SMTP_PASSWORD", ""),
            smtp_timeout_seconds=env_float("SMTP_TIMEOUT_SECONDS", 10.0),
            smtp_verify_tls=env_bool("SMTP_VERIFY_TLS", True),
            mail_from=env_str("MAIL_FROM", "CRM <no-reply@crm.local>"),
            mail_reply_to=env_str("MAIL_REPLY_TO", ""),
            webhook_timeout_seconds=env_float("WEBHOOK_TIMEOUT_SECONDS", 10.0),
            webhook_allow_private=env_bool("WEBHOOK_ALLOW_PRIVATE", False),
            webhook_disable_after_failures=env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20),
            retry_base_seconds=env_float("DELIVERY_RETRY_BASE_SECONDS", 30.0),
            retry_cap_seconds=env_float("DELIVERY_RETRY_CAP_SECONDS", 6 * 3600.0),
            webhook_max_attempts=env_int("WEBHOOK_MAX_ATTEMPTS", 12),
            email_max_attempts=env_int("EMAIL_MAX_ATTEMPTS", 8),
            scheduler_poll_seconds=env_float("SCHEDULER_POLL_SECONDS", 0.5),
            scheduler_lease_seconds=env_float("SCHEDULER_LEASE_SECONDS", 60.0),
            scheduler_batch=env_int("SCHEDULER_BATCH", 20),
            scheduler_enabled=env_bool("SCHEDULER_ENABLED", True),
            replica_id=env_str("REPLICA_ID", ""),
            customer_graphql_url=env_str("CUSTOMER_GRAPHQL_URL", "http://127.0.0.1:4001/graphql"),
            service_token_file=env_str("SERVICE_TOKEN_FILE", ""),
        )

    def replica(self) -> str:
        """Who holds the scheduler's delivery leases: REPLICA_ID, else host, pid and a nonce."""
        return self.replica_id or lease.replica_id()
