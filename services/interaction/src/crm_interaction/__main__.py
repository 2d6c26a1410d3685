"""`python -m crm_interaction`: serve the interaction subgraph (INTERACTION_PORT, default 4002)."""

from __future__ import annotations

import os

from crm_interaction import settings as interaction_settings
from crm_interaction.app import DEFAULT_PORT, SERVICE_NAME, create_app
from crm_kit.service import serve
from crm_kit.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT)
    options = interaction_settings.from_env(os.environ)
    app = create_app(
        settings,
        sla=options.sla,
        scheduler_poll_seconds=options.scheduler_poll_seconds,
        scheduler_lease_seconds=options.scheduler_lease_seconds,
    )
    serve(app, settings)


if __name__ == "__main__":
    main()
