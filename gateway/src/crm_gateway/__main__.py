"""`python -m crm_gateway`: run the gateway with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from crm_gateway.app import create_app
from crm_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings.from_env()
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
    )


if __name__ == "__main__":
    main()
