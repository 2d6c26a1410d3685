"""MongoDB adapter of purchases: collection, indexes and document mapping."""

from __future__ import annotations

from decimal import Decimal

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import CustomerMove
from crm_interaction.customers.store import refile, unfile
from crm_interaction.purchases.model import LineItem, Purchase, PurchaseStatus
from crm_kit.mongo import Document, IndexSpec, Session

PURCHASES = "purchases"

INDEXES = [
    IndexSpec(
        PURCHASES,
        (
            IndexModel(
                [("customerId", ASCENDING), ("purchasedAt", DESCENDING)],
                name="customer_purchased",
            ),
        ),
    ),
]


def purchase_to_doc(p: Purchase) -> Document:
    return {
        "_id": p.id,
        "customerId": p.customer_id,
        "orderNumber": p.order_number,
        "items": [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity, "unitPrice": str(i.unit_price)}
            for i in p.items
        ],
        "amount": str(p.amount),
        "amountMinor": p.amount_minor,
        "currency": p.currency,
        "status": str(p.status),
        "purchasedAt": p.purchased_at,
        "source": p.source,
        "externalId": p.external_id,
        "recordedBy": p.recorded_by,
        "recordedAt": p.recorded_at,
        "version": p.version,
    }


def purchase_from_doc(d: Document) -> Purchase:
    return Purchase(
        id=str(d["_id"]),
        customer_id=d["customerId"],
        order_number=d["orderNumber"],
        items=tuple(
            LineItem(i["sku"], i.get("name", ""), int(i["quantity"]), Decimal(i["unitPrice"]))
            for i in d.get("items") or ()
        ),
        amount=Decimal(d["amount"]),
        currency=d["currency"],
        status=PurchaseStatus(d["status"]),
        purchased_at=d["purchasedAt"],
        source=d["source"],
        external_id=d["externalId"],
        recorded_by=d["recordedBy"],
        recorded_at=d["recordedAt"],
        version=int(d["version"]),
    )


class PurchaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[PURCHASES]

    async def get(self, purchase_id: str, session: Session | None = None) -> Purchase | None:
        doc = await self._collection.find_one({"_id": purchase_id}, session=session)
        return purchase_from_doc(doc) if doc is not None else None

    async def put(self, purchase: Purchase, session: Session) -> None:
        await self._collection.replace_one(
            {"_id": purchase.id}, purchase_to_doc(purchase), upsert=True, session=session
        )

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        await refile(self._collection, move, session)

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        await unfile(self._collection, move, session)

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        """The items' names go; order numbers, amounts and statuses stay for statistics."""
        await self._collection.update_many(
            {"customerId": customer_id}, {"$set": {"items": []}}, session=session
        )
