"""`python -m crm_gateway`: run the gateway with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from crm_gateway.app import create_app
from crm_gateway.settings import GatewaySettings
from crm_kit.telemetry import setup_tracing


def main() -> None:
    settings = GatewaySettings.from_env()
    setup_tracing("gateway", settings.otlp_endpoint)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


if __name__ == "__main__":
    main()
