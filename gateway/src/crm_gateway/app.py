"""The gateway's bootstrap: builds the runtime and the edge and hands them to one Starlette
app. Routes: `/graphql` (POST, GET for queries; WebSocket for subscriptions),
`/files/{service}/{token}` (GET: a download from the subgraph that signed the link,
`edge.downloads`), `/healthz`, `/readyz`, `/metrics`.

Authentication: every `/graphql` request needs `Authorization: Bearer <JWT>`, verified with
crm_kit's TokenVerifier (`edge.auth`); a missing or invalid token gets HTTP 401 with
`WWW-Authenticate: Bearer` and an `UNAUTHENTICATED` error. `/files/…` needs none: its signed,
short-lived token is the permission, which the owning subgraph checks. Browsers on the origins
of `GATEWAY_CORS_ORIGINS` may call it (`edge.cors`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from crm_gateway.edge.auth import Authenticator, EdgeTokenVerifier
from crm_gateway.edge.compression import Compression
from crm_gateway.edge.cors import cors_middleware
from crm_gateway.edge.downloads import FileDownloads
from crm_gateway.edge.http import GraphQLHttp
from crm_gateway.edge.persisted import PersistedQueries, load_manifest
from crm_gateway.edge.probes import Probes
from crm_gateway.edge.ratelimit import RateLimits
from crm_gateway.edge.websocket import SubscriptionEndpoint
from crm_gateway.runtime import GatewayRuntime
from crm_gateway.settings import GatewaySettings
from crm_gateway.transport.downloads import FileFetcher


def create_app(settings: GatewaySettings | None = None) -> Starlette:
    settings = settings or GatewaySettings.from_env()
    runtime = GatewayRuntime(settings)
    verifier = EdgeTokenVerifier(
        settings.auth,
        refresh_cooldown=settings.jwks_refresh_cooldown_seconds,
        lifespan=settings.jwks_lifespan_seconds,
    )
    safelist = load_manifest(settings.safelist_file) if settings.safelist_file else None
    persisted = PersistedQueries(
        apq=settings.apq, cache_size=settings.apq_cache_size, safelist=safelist
    )
    graphql = GraphQLHttp(
        runtime,
        Authenticator(verifier, required=settings.auth_required),
        RateLimits(settings, runtime.metrics),
        persisted,
    )
    subscriptions = SubscriptionEndpoint(runtime, settings, verifier, persisted)
    probes = Probes(runtime)
    fetcher = FileFetcher(
        timeout_seconds=settings.subgraph_timeout_seconds,
        max_connections=settings.max_connections,
    )
    downloads = FileDownloads(runtime, fetcher)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await fetcher.aclose()
            await runtime.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql.serve, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", subscriptions.serve),
            Route("/files/{service}/{token}", downloads.serve, methods=["GET"]),
            Route("/healthz", probes.healthz, methods=["GET"]),
            Route("/readyz", probes.readyz, methods=["GET"]),
            Route("/metrics", probes.metrics, methods=["GET"]),
        ],
        middleware=_middleware(settings),
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.verifier = verifier
    return app


def _middleware(settings: GatewaySettings) -> list[Middleware]:
    middleware: list[Middleware] = []
    cors = cors_middleware(settings.cors_origins, settings.client_id_header)
    if cors is not None:
        middleware.append(cors)
    if settings.compression:
        middleware.append(Middleware(Compression, minimum_size=settings.compression_min_bytes))
    return middleware
