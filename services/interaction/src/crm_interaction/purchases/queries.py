"""Read side of purchases: each customer's pages of purchases, newest first, and their counts,
for an `_entities` batch in one aggregate each (see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.purchases.model import Purchase
from crm_interaction.purchases.store import PURCHASES, purchase_from_doc
from crm_interaction.shared import paging
from crm_kit.mongo import Document
from crm_kit.paging import Keyset

NEWEST_FIRST = paging.PageOrder("purchasedAt")


class PurchaseQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[PURCHASES]

    async def pages(
        self, customer_ids: Sequence[str], first: int, after: Keyset | None
    ) -> dict[str, tuple[list[Purchase], bool]]:
        """Each customer's page of purchases (`first` after `after`), newest first."""
        found = await paging.page_per_customer(
            self._collection, customer_ids, order=NEWEST_FIRST, first=first, after=after
        )
        return {
            c: ([purchase_from_doc(d) for d in docs], more) for c, (docs, more) in found.items()
        }

    async def counts(self, customer_ids: Sequence[str]) -> dict[str, int]:
        """How many purchases each customer has, in one aggregate."""
        return await paging.count_per_customer(self._collection, customer_ids)
