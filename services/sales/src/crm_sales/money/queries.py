"""Read side of exchange rates: the whole table of the base currency (a few hundred rows at
most: one per currency and effective date), and a page of them."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_kit.paging import decode_position, encode_position
from crm_sales.money.model import ExchangeRate, RateTable
from crm_sales.money.store import RATES, rate_from_doc
from crm_sales.shared.listing import Page

ORDER = "RATE"


class RateQueries:
    def __init__(self, db: AsyncDatabase[Document], base: str) -> None:
        self._collection = db[RATES]
        self.base = base

    async def table(self) -> RateTable:
        docs = await self._collection.find({"base": self.base}).to_list()
        return RateTable([rate_from_doc(d) for d in docs], base=self.base)

    async def page(self, currency: str | None, first: int, after: str | None) -> Page[ExchangeRate]:
        """Rates by currency, then effective date (oldest first)."""
        query: Document = {"base": self.base}
        if currency:
            query["currency"] = currency.strip().upper()
        if after:
            (last,) = decode_position(after, (str,), ORDER)
            query["_id"] = {"$gt": last}
        if first <= 0:
            return Page([], [], False)
        docs = await self._collection.find(query).sort("_id", 1).limit(first + 1).to_list()
        shown = docs[:first]
        cursors = [encode_position([str(d["_id"])], ORDER) for d in shown]
        return Page([rate_from_doc(d) for d in shown], cursors, len(docs) > first)

    async def count(self, currency: str | None) -> int:
        query: Document = {"base": self.base}
        if currency:
            query["currency"] = currency.strip().upper()
        return await self._collection.count_documents(query)
