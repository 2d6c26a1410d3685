"""`python -m crm_sales`: serve the sales subgraph (SALES_PORT, default 4004; database
SALES_MONGODB_DATABASE, default crm_sales)."""

from __future__ import annotations

import os

from crm_kit.service import serve
from crm_kit.settings import ServiceSettings
from crm_sales import settings as sales_settings
from crm_sales.app import DEFAULT_PORT, SERVICE_NAME, create_app


def main() -> None:
    settings = ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT)
    app = create_app(settings, options=sales_settings.from_env(os.environ))
    serve(app, settings)


if __name__ == "__main__":
    main()
