"""Bootstrap: the only place that wires concrete adapters for the customer service."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pymongo import monitoring
from starlette.applications import Starlette

from crm_customer.bulk import BulkCommands
from crm_customer.commands import CustomerCommands
from crm_customer.crypto import DataProtector
from crm_customer.graphql.context import Deps
from crm_customer.graphql.schema import schema
from crm_customer.i18n import LanguageMiddleware
from crm_customer.merging import MergeCommands
from crm_customer.repository import INDEXES, CustomerRepository
from crm_customer.staff_repository import StaffDirectory
from crm_customer.statistics import StatisticsReader
from crm_kit.service import Runtime, ServiceSpec, create_service_app
from crm_kit.settings import ServiceSettings

DEFAULT_PORT = 4001
_log = logging.getLogger("crm_customer")


def create_app(
    settings: ServiceSettings | None = None,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    protector: DataProtector | None = None,
) -> Starlette:
    settings = settings or ServiceSettings.from_env("customer", DEFAULT_PORT)
    keys = protector or DataProtector.from_env()
    if keys.is_development:
        _log.warning("CUSTOMER_DATA_KEYS is not set: ID numbers use the public development key")

    def build_deps(runtime: Runtime) -> Deps:
        customers = CustomerRepository(runtime.db, keys)
        staff = StaffDirectory(runtime.db)
        commands = CustomerCommands(runtime.uow, customers, staff)
        return Deps(
            customers=customers,
            commands=commands,
            bulk=BulkCommands(commands, customers),
            staff=staff,
            merges=MergeCommands(runtime.uow, customers),
            statistics=StatisticsReader(runtime.db),
        )

    app = create_service_app(
        ServiceSpec(
            settings=settings,
            schema=schema,
            indexes=INDEXES,
            build_deps=build_deps,
        ),
        mongo_listeners,
    )
    app.add_middleware(LanguageMiddleware)
    return app
