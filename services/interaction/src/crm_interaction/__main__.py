"""`python -m crm_interaction`: serve the interaction subgraph (INTERACTION_PORT, default 4002)."""

from __future__ import annotations

from crm_interaction.app import DEFAULT_PORT, SERVICE_NAME, create_app
from crm_kit.service import serve
from crm_kit.settings import ServiceSettings


def main() -> None:
    settings = ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT)
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
