"""Development and production modes at the edge: introspection and CORS defaults by
`CRM_ENV`, preflights for the origins admitted, and HTTP 401 for requests without a valid
token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from gw_support import Gateway, Served, gateway_settings, make_token, start_gateway

from crm_gateway.edge.cors import origin_pattern
from crm_gateway.settings import (
    DEVELOPMENT_CORS_ORIGINS,
    ENVIRONMENT,
    PRODUCTION_DEFAULTS,
    GatewaySettings,
)

PREFLIGHT_HEADERS = "authorization,content-type,apollo-require-preflight"
APP = "https://app.example.com"


def preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": PREFLIGHT_HEADERS,
    }


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for _, variable, _ in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


def production_env(env: pytest.MonkeyPatch, mode: str = "production") -> None:
    """`CRM_ENV=production` with the auth settings production insists on."""
    env.setenv("CRM_ENV", mode)
    env.setenv("JWT_SECRET", "a-production-secret-of-more-than-32-bytes")
    env.setenv("JWT_AUDIENCE", "crm")


def test_development_is_the_default_mode(clean_env: pytest.MonkeyPatch) -> None:
    settings = GatewaySettings.from_env()
    assert settings.environment == "development"
    assert settings.introspection is True
    assert settings.cors_origins == DEVELOPMENT_CORS_ORIGINS


def test_production_turns_introspection_and_cors_off(clean_env: pytest.MonkeyPatch) -> None:
    production_env(clean_env, "Production")
    settings = GatewaySettings.from_env()
    assert settings.environment == "production"
    assert (settings.introspection, settings.cors_origins) == (False, ())
    assert PRODUCTION_DEFAULTS == {"introspection": False, "cors_origins": ()}


def test_production_admits_the_configured_origins_only(clean_env: pytest.MonkeyPatch) -> None:
    production_env(clean_env)
    clean_env.setenv("GATEWAY_CORS_ORIGINS", f"{APP}, https://*.example.org")
    settings = GatewaySettings.from_env()
    assert settings.cors_origins == (APP, "https://*.example.org")
    assert settings.introspection is False


def test_origin_patterns_match_one_port_or_label() -> None:
    pattern = origin_pattern((*DEVELOPMENT_CORS_ORIGINS, APP, "https://*.example.org"))
    assert pattern is not None
    admitted = ["http://localhost:5173", "http://127.0.0.1:3000", "https://a.example.org"]
    refused = [
        "http://localhost",  # no port
        "http://localhost:5173.evil.com",
        "https://a.b.example.org",
        "https://evil.com#.example.org",
        "https://localhost:5173",
        APP,  # exact origins are not patterns
    ]
    assert [o for o in admitted if re.fullmatch(pattern, o)] == admitted
    assert [o for o in refused if re.fullmatch(pattern, o)] == []
    assert origin_pattern((APP,)) is None


@pytest.fixture(scope="module")
async def development(subgraphs: dict[str, Served]) -> AsyncIterator[Gateway]:
    handle = await start_gateway(replace(gateway_settings(subgraphs), **_defaults()))
    yield handle
    await handle.served.stop()


def _defaults() -> dict[str, object]:
    """The development defaults of the fields that depend on the mode."""
    defaults = GatewaySettings()
    return {name: getattr(defaults, name) for name in PRODUCTION_DEFAULTS}


@pytest.fixture(scope="module")
async def production(subgraphs: dict[str, Served]) -> AsyncIterator[Gateway]:
    settings = replace(gateway_settings(subgraphs), environment="production", **PRODUCTION_DEFAULTS)
    handle = await start_gateway(replace(settings, cors_origins=(APP,)))
    yield handle
    await handle.served.stop()


async def test_development_answers_preflights_from_local_origins(development: Gateway) -> None:
    async with httpx.AsyncClient(base_url=development.base) as http:
        local = await http.options("/graphql", headers=preflight("http://localhost:5173"))
        foreign = await http.options("/graphql", headers=preflight("https://evil.example"))
    assert local.status_code == 200
    assert local.headers["access-control-allow-origin"] == "http://localhost:5173"
    allowed = {h.strip() for h in local.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "apollo-require-preflight"} <= allowed
    assert "POST" in local.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in local.headers
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers


async def test_development_allows_introspection(development: Gateway) -> None:
    headers = {"authorization": f"Bearer {make_token()}"}
    async with httpx.AsyncClient(base_url=development.base, headers=headers) as http:
        response = await http.post(
            "/graphql", json={"query": "{ __schema { queryType { name } } }"}
        )
    assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_production_refuses_introspection_and_other_origins(production: Gateway) -> None:
    headers = {"authorization": f"Bearer {make_token()}"}
    async with httpx.AsyncClient(base_url=production.base, headers=headers) as http:
        introspection = await http.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}
        )
        local = await http.options("/graphql", headers=preflight("http://localhost:5173"))
        configured = await http.options("/graphql", headers=preflight(APP))
    assert introspection.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "access-control-allow-origin" not in local.headers
    assert configured.status_code == 200
    assert configured.headers["access-control-allow-origin"] == APP


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [(None, "Bearer"), ("Bearer not-a-jwt", 'Bearer error="invalid_token"')],
)
async def test_requests_without_a_valid_token_get_401(
    production: Gateway, subgraphs: dict[str, Served], authorization: str | None, challenge: str
) -> None:
    headers = {"origin": APP}
    if authorization:
        headers["authorization"] = authorization
    async with httpx.AsyncClient(base_url=production.base) as http:
        response = await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        health = await http.get("/healthz")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"} and error["message"]
    # a page on an admitted origin can read the refusal and its challenge
    assert response.headers["access-control-allow-origin"] == APP
    assert "www-authenticate" in response.headers["access-control-expose-headers"].lower()
    assert health.status_code == 200
    assert all(not s.recorder.requests for s in subgraphs.values())


async def test_an_unauthenticated_upload_gets_401(production: Gateway) -> None:
    operations = '{"query": "mutation($f: Upload!) { uploadProducts(file: $f) { size } }", '
    operations += '"variables": {"f": null}}'
    files: dict[str, Any] = {
        "operations": (None, operations),
        "map": (None, '{"0": ["variables.f"]}'),
        "0": ("a.csv", b"x", "text/csv"),
    }
    async with httpx.AsyncClient(base_url=production.base) as http:
        response = await http.post("/graphql", files=files)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
