"""`python -m crm_gateway`: run the gateway with uvicorn (uvloop + httptools when installed).

`GATEWAY_WORKERS` > 1 runs that many processes on the same port (uvicorn's supervisor): each
has its own plan cache, APQ cache, rate-limit counters and subgraph connection pool.
"""

from __future__ import annotations

import logging

import uvicorn
from starlette.applications import Starlette

from crm_gateway.app import create_app
from crm_gateway.settings import GatewaySettings
from crm_kit.telemetry import setup_tracing


def app_factory() -> Starlette:
    """The app of one worker process (settings from the environment)."""
    settings = GatewaySettings.from_env()
    _setup_logging(settings)
    if settings.otlp_endpoint:
        # without an exporter, spans would cost CPU on every request and go nowhere
        # (an incoming traceparent is still forwarded to the subgraphs)
        setup_tracing("gateway", settings.otlp_endpoint)
    return create_app(settings)


def _setup_logging(settings: GatewaySettings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def main() -> None:
    settings = GatewaySettings.from_env()
    _setup_logging(settings)
    uvicorn.run(
        "crm_gateway.__main__:app_factory",
        factory=True,
        workers=settings.workers if settings.workers > 1 else None,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        # the gateway decides itself which X-Forwarded-For entries to trust
        # (GATEWAY_TRUSTED_PROXY_HOPS, crm_gateway.edge.forwarding)
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        backlog=settings.backlog,
    )


if __name__ == "__main__":
    main()
