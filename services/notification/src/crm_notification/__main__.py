"""`python -m crm_notification`: serve the notification subgraph (NOTIFICATION_PORT, 4003)."""

from __future__ import annotations

from crm_kit.service import serve
from crm_kit.settings import ServiceSettings
from crm_notification.app import DEFAULT_PORT, SERVICE_NAME, create_app


def main() -> None:
    settings = ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
