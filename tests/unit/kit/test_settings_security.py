"""Transport security settings and production-mode refusal of development secrets."""

from __future__ import annotations

import base64
import runpy

import pytest

from crm_customer.protection.crypto import DataProtector
from crm_kit.settings import (
    DEFAULT_DEV_JWT_SECRET,
    AuthSettings,
    InsecureConfiguration,
    ServiceSettings,
    TransportSecurity,
)

STRONG_SECRET = "s" * 48
KEY = base64.b64encode(b"k" * 32).decode()
BIDX = base64.b64encode(b"b" * 32).decode()
PRODUCTION_ENV = {
    "CRM_ENV": "production",
    "JWT_SECRET": STRONG_SECRET,
    "JWT_AUDIENCE": "crm",
    "MONGODB_URI": "mongodb://crm:pw@mongo-0.mongo:27017/?replicaSet=rs0",
    "MONGODB_TLS": "true",
    "MONGODB_TLS_CA_FILE": "/etc/crm/ca.pem",
    "AMQP_URL": "amqps://crm:pw@rabbit:5671/",
    "AMQP_TLS_CA_FILE": "/etc/crm/ca.pem",
    "CUSTOMER_DATA_KEYS": f"k1:{KEY}",
    "CUSTOMER_BLIND_INDEX_KEY": BIDX,
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*PRODUCTION_ENV, "JWT_JWKS_URL", "JWT_ALGORITHMS", "MONGODB_TLS_CERT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)
    return monkeypatch


def test_tls_options_are_added_to_the_connection_urls() -> None:
    tls = TransportSecurity(
        mongodb_tls=True,
        mongodb_ca_file="/ca.pem",
        mongodb_cert_key_file="/client.pem",
        amqp_ca_file="/ca.pem",
        amqp_cert_file="/c.pem",
        amqp_key_file="/k.pem",
    )
    uri = tls.mongodb_uri("mongodb://h:27017/?replicaSet=rs0")
    assert "replicaSet=rs0" in uri and "tls=true" in uri
    assert "tlsCAFile=%2Fca.pem" in uri and "tlsCertificateKeyFile=%2Fclient.pem" in uri
    amqps = tls.amqp_url("amqps://u:p@h:5671/vhost")
    assert amqps.startswith("amqps://u:p@h:5671/vhost?")
    assert {"cafile=%2Fca.pem", "certfile=%2Fc.pem", "keyfile=%2Fk.pem"} <= set(
        amqps.split("?")[1].split("&")
    )
    assert tls.amqp_url("amqp://u:p@h:5672/") == "amqp://u:p@h:5672/"  # plain: nothing to add
    explicit = tls.mongodb_uri("mongodb://h/?tls=false")
    assert "tls=false" in explicit and "tls=true" not in explicit  # the URI's own choice wins
    assert TransportSecurity().mongodb_uri("mongodb://h/") == "mongodb://h/"


def test_tls_settings_are_read_from_the_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("MONGODB_URI", "mongodb://h:27017/")
    env.setenv("MONGODB_TLS_CA_FILE", "/etc/ca.pem")
    env.setenv("AMQP_URL", "amqps://u:p@h:5671/")
    env.setenv("AMQP_TLS_CA_FILE", "/etc/ca.pem")
    settings = ServiceSettings.from_env("customer", 4001)
    assert (
        "tls=true" in settings.mongodb_uri and "tlsCAFile=%2Fetc%2Fca.pem" in settings.mongodb_uri
    )
    assert settings.amqp_url.endswith("?cafile=%2Fetc%2Fca.pem")


def test_development_mode_accepts_the_development_defaults(env: pytest.MonkeyPatch) -> None:
    settings = ServiceSettings.from_env("customer", 4001)
    assert settings.auth.jwt_secret == DEFAULT_DEV_JWT_SECRET
    assert DataProtector.from_env().is_development


def test_production_mode_refuses_development_secrets_and_names_them(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("CRM_ENV", "production")
    with pytest.raises(InsecureConfiguration) as refused:
        ServiceSettings.from_env("customer", 4001)
    problems = " | ".join(refused.value.problems)
    for name in ("JWT_SECRET", "JWT_AUDIENCE", "MONGODB_URI", "AMQP_URL", "RabbitMQ without TLS"):
        assert name in problems
    assert DEFAULT_DEV_JWT_SECRET not in str(refused.value)  # names, never values
    with pytest.raises(InsecureConfiguration, match="CUSTOMER_DATA_KEYS"):
        DataProtector.from_env()
    env.setenv("JWT_SECRET", "short")
    with pytest.raises(InsecureConfiguration, match="shorter than 32 bytes"):
        AuthSettings.from_env()


def test_production_mode_starts_with_real_secrets_and_tls(env: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION_ENV.items():
        env.setenv(name, value)
    settings = ServiceSettings.from_env("customer", 4001)
    assert settings.production_problems() == []
    assert not DataProtector.from_env().is_development
    env.setenv("MONGODB_TLS", "false")
    env.delenv("MONGODB_TLS_CA_FILE")
    with pytest.raises(InsecureConfiguration, match="MongoDB without TLS"):
        ServiceSettings.from_env("customer", 4001)
    env.setenv("CUSTOMER_DATA_KEYS", f"k2:{KEY},dev-insecure:{KEY}")
    with pytest.raises(InsecureConfiguration, match="development key"):
        DataProtector.from_env()


def test_production_mode_with_jwks_needs_no_shared_secret(env: pytest.MonkeyPatch) -> None:
    env.setenv("CRM_ENV", "production")
    env.setenv("JWT_JWKS_URL", "https://idp.example.com/.well-known/jwks.json")
    env.setenv("JWT_AUDIENCE", "crm")
    assert AuthSettings.from_env().algorithms == ("RS256", "ES256")


@pytest.mark.parametrize(
    "module", ["crm_customer", "crm_interaction", "crm_notification", "crm_gateway"]
)
def test_every_entry_point_refuses_to_start_in_production_with_development_secrets(
    env: pytest.MonkeyPatch, module: str
) -> None:
    """`python -m <module>` runs exactly this: it raises before any server starts."""
    env.setenv("CRM_ENV", "production")
    with pytest.raises(InsecureConfiguration) as refused:
        runpy.run_module(module, run_name="__main__")
    assert "JWT_SECRET is the development secret" in str(refused.value)
    assert DEFAULT_DEV_JWT_SECRET not in str(refused.value)
