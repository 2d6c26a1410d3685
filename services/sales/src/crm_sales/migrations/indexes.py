"""Every index this service queries with, gathered from the features' stores (boot and the
migration tool create them)."""

from __future__ import annotations

from crm_kit.idempotency import GUARDS_COLLECTION
from crm_kit.mongo import IndexSpec
from crm_sales.customers import store as customers
from crm_sales.history import store as history
from crm_sales.opportunities import store as opportunities
from crm_sales.pipelines import store as pipelines
from crm_sales.products import store as products
from crm_sales.stalls import store as stalls

ALL_INDEXES: list[IndexSpec] = [
    *opportunities.INDEXES,
    *history.INDEXES,
    *pipelines.INDEXES,
    *products.INDEXES,
    *customers.INDEXES,
    *stalls.INDEXES,
    IndexSpec(GUARDS_COLLECTION, ()),
]
