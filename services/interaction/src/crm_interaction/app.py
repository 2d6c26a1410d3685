"""Bootstrap: the one place where adapters are built and wired to the service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pymongo import monitoring
from starlette.applications import Starlette

from crm_interaction.graphql.schema import schema
from crm_interaction.handlers import CustomerEventHandlers
from crm_interaction.repository import (
    INDEXES,
    CustomerProjection,
    IdempotencyGuards,
    InteractionRepository,
)
from crm_interaction.services import Deps
from crm_interaction.views import InteractionViews
from crm_kit.events import utcnow
from crm_kit.service import Runtime, ServiceSpec, create_service_app
from crm_kit.settings import ServiceSettings

SERVICE_NAME = "interaction"
DEFAULT_PORT = 4002


def create_app(
    settings: ServiceSettings | None = None,
    *,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    clock: Callable[[], datetime] = utcnow,
) -> Starlette:
    """The interaction subgraph as an ASGI app.

    `mongo_listeners`: PyMongo command listeners on the service's client (tests count
    database commands with them); `clock`: the time source for new interactions.
    """
    settings = settings or ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT)

    def build_deps(runtime: Runtime) -> Deps:
        return Deps(
            uow=runtime.uow,
            customers=CustomerProjection(runtime.db),
            interactions=InteractionRepository(runtime.db),
            guards=IdempotencyGuards(runtime.db),
            views=InteractionViews(runtime.db),
            clock=clock,
        )

    spec: ServiceSpec[Deps] = ServiceSpec(
        settings=settings,
        schema=schema,
        indexes=INDEXES,
        build_deps=build_deps,
        handlers=lambda deps: CustomerEventHandlers(deps.customers).routes(),
    )
    return create_service_app(spec, mongo_listeners)
