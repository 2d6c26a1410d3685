"""Every collection of the customer service and its indexes, by feature.

`INDEXES` are those `python -m crm_customer.migrate` ensures (and migration 0001 names);
the service ensures `ALL_INDEXES` at start-up.
"""

from __future__ import annotations

from crm_customer.assignment.store import ASSIGNMENT_INDEXES
from crm_customer.catalog.store import CATALOG_INDEXES
from crm_customer.customers.store import CUSTOMER_INDEXES
from crm_customer.duplicates.store import MATCH_KEY_INDEXES, MERGE_INDEXES, PAIR_INDEXES
from crm_customer.history.store import HISTORY_INDEXES
from crm_customer.imports.store import JOB_INDEXES
from crm_customer.staff.store import STAFF_INDEXES
from crm_kit.mongo import IndexSpec

INDEXES: list[IndexSpec] = [
    *CUSTOMER_INDEXES,
    MATCH_KEY_INDEXES,
    STAFF_INDEXES,
    MERGE_INDEXES,
    *HISTORY_INDEXES,
    PAIR_INDEXES,
]
ALL_INDEXES: list[IndexSpec] = [*INDEXES, *CATALOG_INDEXES, *ASSIGNMENT_INDEXES, *JOB_INDEXES]
