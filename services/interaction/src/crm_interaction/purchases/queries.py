"""Read side of purchases: each customer's newest purchases, for an `_entities` batch in one
aggregate (see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.purchases.model import Purchase
from crm_interaction.purchases.store import PURCHASES, purchase_from_doc
from crm_interaction.shared import paging
from crm_kit.mongo import Document


class PurchaseQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[PURCHASES]

    async def latest(self, customer_ids: Sequence[str], limit: int) -> dict[str, list[Purchase]]:
        """Each customer's newest `limit` purchases, in one aggregate."""
        found = await paging.top_per_customer(
            self._collection, customer_ids, n=limit, sort={"purchasedAt": -1, "_id": -1}
        )
        return {c: [purchase_from_doc(d) for d in docs] for c, docs in found.items()}
