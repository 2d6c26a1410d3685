"""Bootstrap: the only place that wires concrete adapters for the customer service."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pymongo import monitoring
from starlette.applications import Starlette

from crm_customer.assigner import Assigner
from crm_customer.bulk import BulkCommands
from crm_customer.catalog.service import CatalogCommands
from crm_customer.catalog_store import (
    CATALOG_INDEXES,
    CustomerLookups,
    CustomFieldStore,
    RuleStore,
    TagStore,
)
from crm_customer.commands import CustomerCommands
from crm_customer.graphql.context import Deps
from crm_customer.graphql.language import LanguageMiddleware
from crm_customer.graphql.schema import schema
from crm_customer.imports.store import JOB_INDEXES
from crm_customer.imports.wiring import build_jobs
from crm_customer.merging import MergeCommands
from crm_customer.protection.crypto import DataProtector
from crm_customer.repository import INDEXES, CustomerRepository
from crm_customer.staff_repository import StaffDirectory
from crm_customer.statistics import StatisticsReader
from crm_kit.audit import enable_audit, install_audit
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
        enable_audit(runtime)
        customers = CustomerRepository(runtime.db, keys)
        staff = StaffDirectory(runtime.db)
        lookups, definitions, rules = (
            CustomerLookups(runtime.db),
            CustomFieldStore(runtime.db),
            RuleStore(runtime.db),
        )
        commands = CustomerCommands(
            runtime.uow,
            customers,
            staff,
            definitions=definitions,
            assigner=Assigner(rules, staff, lookups),
            lookups=lookups,
        )
        catalog = CatalogCommands(
            runtime.uow, definitions, TagStore(runtime.db), rules, lookups, customers, commands
        )
        return Deps(
            customers=customers,
            commands=commands,
            bulk=BulkCommands(commands, customers),
            staff=staff,
            merges=MergeCommands(runtime.uow, customers),
            statistics=StatisticsReader(runtime.db, keys.search_token),
            catalog=catalog,
            jobs=build_jobs(runtime, customers, commands),
        )

    app = create_service_app(
        ServiceSpec(
            settings=settings,
            schema=schema,
            indexes=[*INDEXES, *CATALOG_INDEXES, *JOB_INDEXES],
            build_deps=build_deps,
            workers=lambda deps: [deps.jobs.worker.run] if deps.jobs else [],
            multipart_uploads=True,  # customer import files
        ),
        mongo_listeners,
    )
    app.add_middleware(LanguageMiddleware)
    install_audit(app)
    return app
