"""Bootstrap: the only place where adapters are wired to the service."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import monitoring
from starlette.applications import Starlette

from crm_kit.service import Runtime, ServiceSpec, create_service_app
from crm_kit.settings import ServiceSettings
from crm_notification.deps import Deps
from crm_notification.graphql.schema import schema
from crm_notification.handlers import handlers
from crm_notification.repository import INDEXES, NotificationRepository

SERVICE_NAME = "notification"
DEFAULT_PORT = 4003


def build_deps(runtime: Runtime) -> Deps:
    return Deps(notifications=NotificationRepository(runtime.db))


def create_app(
    settings: ServiceSettings | None = None,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
) -> Starlette:
    """The notification subgraph app; `mongo_listeners` lets tests count database commands."""
    spec: ServiceSpec[Deps] = ServiceSpec(
        settings=settings or ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT),
        schema=schema,
        indexes=INDEXES,
        build_deps=build_deps,
        handlers=handlers,
    )
    return create_service_app(spec, mongo_listeners)
