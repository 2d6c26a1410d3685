"""Read side of the catalogue: products by id, a page of products by code, price books."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_kit.paging import decode_position, encode_position
from crm_sales.products.model import PriceBook, Product
from crm_sales.products.store import PRICE_BOOKS, PRODUCTS, book_from_doc, product_from_doc
from crm_sales.shared.listing import Page

ORDER = "PRODUCT_CODE"
MAX_BOOKS = 200


def _product_query(active: bool | None) -> Document:
    return {} if active is None else {"active": active}


class ProductQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._products = db[PRODUCTS]
        self._books = db[PRICE_BOOKS]

    async def get(self, product_id: str) -> Product | None:
        doc = await self._products.find_one({"_id": product_id})
        return product_from_doc(doc) if doc is not None else None

    async def get_many(self, product_ids: Sequence[str]) -> dict[str, Product]:
        cursor = self._products.find({"_id": {"$in": list(dict.fromkeys(product_ids))}})
        return {str(d["_id"]): product_from_doc(d) async for d in cursor}

    async def page(self, active: bool | None, first: int, after: str | None) -> Page[Product]:
        """Products by code (A first)."""
        query = _product_query(active)
        if after:
            (code,) = decode_position(after, (str,), ORDER)
            query["code"] = {"$gt": code}
        if first <= 0:
            return Page([], [], False)
        docs = await self._products.find(query).sort("code", ASCENDING).limit(first + 1).to_list()
        shown = docs[:first]
        cursors = [encode_position([str(d["code"])], ORDER) for d in shown]
        return Page([product_from_doc(d) for d in shown], cursors, len(docs) > first)

    async def count(self, active: bool | None) -> int:
        return await self._products.count_documents(_product_query(active))

    async def book(self, book_id: str) -> PriceBook | None:
        doc = await self._books.find_one({"_id": book_id})
        return book_from_doc(doc) if doc is not None else None

    async def books(self, currency: str | None) -> list[PriceBook]:
        """Price books (of a currency), by currency and name."""
        query: Document = {"currency": currency.strip().upper()} if currency else {}
        cursor = self._books.find(query).sort([("currency", ASCENDING), ("name", ASCENDING)])
        return [book_from_doc(d) for d in await cursor.limit(MAX_BOOKS).to_list()]
