"""Bootstrap: the only place that wires concrete adapters for the customer service."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import monitoring
from starlette.applications import Starlette

from crm_customer.commands import CustomerCommands
from crm_customer.graphql.context import Deps
from crm_customer.graphql.schema import schema
from crm_customer.repository import INDEXES, CustomerRepository
from crm_kit.service import Runtime, ServiceSpec, create_service_app
from crm_kit.settings import ServiceSettings

DEFAULT_PORT = 4001


def build_deps(runtime: Runtime) -> Deps:
    customers = CustomerRepository(runtime.db)
    return Deps(customers=customers, commands=CustomerCommands(runtime.uow, customers))


def create_app(
    settings: ServiceSettings | None = None,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
) -> Starlette:
    settings = settings or ServiceSettings.from_env("customer", DEFAULT_PORT)
    return create_service_app(
        ServiceSpec(settings=settings, schema=schema, indexes=INDEXES, build_deps=build_deps),
        mongo_listeners,
    )
