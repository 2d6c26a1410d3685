"""Every index this service queries with, gathered from the features' stores (boot and the
migration tool create them)."""

from __future__ import annotations

from crm_kit.idempotency import GUARDS_COLLECTION
from crm_kit.mongo import IndexSpec
from crm_sales.assignment import rules_store, staff_store
from crm_sales.customers import store as customers
from crm_sales.forecast import store as forecast
from crm_sales.history import store as history
from crm_sales.kanban import summaries
from crm_sales.opportunities import store as opportunities
from crm_sales.pipelines import store as pipelines
from crm_sales.products import store as products
from crm_sales.quotes import store as quotes
from crm_sales.stalls import store as stalls
from crm_sales.targets import store as targets

ALL_INDEXES: list[IndexSpec] = [
    *opportunities.INDEXES,
    *summaries.INDEXES,
    *history.INDEXES,
    *pipelines.INDEXES,
    *products.INDEXES,
    *customers.INDEXES,
    *stalls.INDEXES,
    *rules_store.INDEXES,
    *staff_store.INDEXES,
    *targets.INDEXES,
    *quotes.INDEXES,
    *forecast.INDEXES,
    IndexSpec(GUARDS_COLLECTION, ()),
]
