"""Gateway settings from the environment: one table of (field, variable, parser)."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from crm_gateway.settings import ENVIRONMENT, GatewaySettings


def test_every_setting_but_auth_has_exactly_one_variable() -> None:
    names = [name for name, _, _ in ENVIRONMENT]
    variables = [variable for _, variable, _ in ENVIRONMENT]
    assert sorted(names) == sorted(f.name for f in fields(GatewaySettings) if f.name != "auth")
    assert len(set(variables)) == len(variables)


def test_unset_variables_keep_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for _, variable, _ in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    defaults = GatewaySettings()
    assert replace(GatewaySettings.from_env(), auth=defaults.auth) == defaults


def test_variables_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "4610")
    monkeypatch.setenv("GATEWAY_DEDUPE_REQUESTS", "false")
    monkeypatch.setenv("GATEWAY_SUBGRAPH_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("GATEWAY_SUBGRAPHS", "a=http://a/graphql, b=http://b/graphql")
    monkeypatch.setenv("GATEWAY_SUBGRAPH_TIMEOUTS", "a=1.5")
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://x.example, https://y.example")
    monkeypatch.setenv("GATEWAY_CLIENT_ID_HEADER", "X-Client")
    settings = GatewaySettings.from_env()
    assert settings.port == 4610
    assert settings.dedupe_requests is False
    assert settings.subgraph_timeout_seconds == 2.5
    assert settings.subgraphs == (("a", "http://a/graphql"), ("b", "http://b/graphql"))
    assert settings.subgraph_timeouts == (("a", 1.5),)
    assert settings.cors_origins == ("https://x.example", "https://y.example")
    assert settings.client_id_header == "x-client"
