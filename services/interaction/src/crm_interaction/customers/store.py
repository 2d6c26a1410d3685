"""MongoDB adapter of interaction's customer projection: the kit's
(`crm_kit.customer_projection.store`) with the customer's name, and the customers an access
scope reaches (OWN / TEAM ticket lists), with their indexes."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import CustomerView
from crm_kit.customer_projection import store as projection
from crm_kit.customer_projection.store import CUSTOMERS, MERGE_MOVES, refile, unfile
from crm_kit.mongo import Document, IndexSpec

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

INDEXES: list[IndexSpec] = [
    # access control: the customers a caller's OWN/TEAM scope reaches (ticket lists)
    IndexSpec(
        CUSTOMERS,
        (
            IndexModel([("ownerId", ASCENDING)], name="owner"),
            IndexModel([("team", ASCENDING)], name="team"),
        ),
    ),
    *projection.INDEXES,
]


def customer_to_doc(view: CustomerView) -> Document:
    return {**projection.view_to_doc(view), "displayName": view.display_name}


def customer_from_doc(doc: Document) -> CustomerView:
    return CustomerView(**projection.view_fields(doc), display_name=doc.get("displayName", ""))


# An erased customer's name goes; a customer known only from a lifecycle event has none yet.
VIEWS = projection.ViewDocs(customer_to_doc, customer_from_doc, blank={"displayName": ""})


class CustomerRepository(projection.CustomerRepository[CustomerView]):
    """This service's copy of customers; applies snapshots only when they are newer."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        super().__init__(db, VIEWS)

    async def ids_in_scope(self, owner_id: str, team: str | None, limit: int) -> list[str]:
        """Customers owned by `owner_id` (or in `team`): an access scope as ids."""
        either: list[Document] = [{"ownerId": {"$eq": owner_id}}]
        if team:
            either.append({"team": {"$eq": team}})
        cursor = self._collection.find({"$or": either}, {"_id": 1}).limit(limit)
        return [str(d["_id"]) async for d in cursor]
