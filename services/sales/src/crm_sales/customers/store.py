"""MongoDB adapter of sales' customer projection and the re-keying of records on a merge:
the kit's (`crm_kit.customer_projection.store`) with the customer's display name
(`displayName`), blanked on erasure."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.customer_projection import store as projection
from crm_kit.customer_projection.store import CUSTOMERS, INDEXES, MERGE_MOVES, refile, unfile
from crm_kit.mongo import Document
from crm_sales.customers.model import CustomerView

__all__ = [
    "CUSTOMERS",
    "INDEXES",
    "MERGE_MOVES",
    "CustomerRepository",
    "customer_from_doc",
    "customer_to_doc",
    "refile",
    "unfile",
]


def customer_to_doc(view: CustomerView) -> Document:
    return {**projection.view_to_doc(view), "displayName": view.display_name}


def customer_from_doc(doc: Document) -> CustomerView:
    # a document projected before sales kept names has none until the next snapshot
    return CustomerView(**projection.view_fields(doc), display_name=doc.get("displayName") or "")


# An erased customer's name goes; a customer known only from a lifecycle event has none yet.
VIEWS = projection.ViewDocs(customer_to_doc, customer_from_doc, blank={"displayName": ""})


class CustomerRepository(projection.CustomerRepository[CustomerView]):
    """This service's copy of customers; applies snapshots only when they are newer."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        super().__init__(db, VIEWS)
