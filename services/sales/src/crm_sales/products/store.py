"""MongoDB adapters of the product catalogue and the price books.

A product's code is unique: the `product_codes` collection holds one document per code
(`_id` = the code), inserted in the product's transaction, so two creations of one code
cannot both commit. Prices are decimal strings, never floats.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.products.model import PriceBook, Product

PRODUCTS = "products"
PRODUCT_CODES = "product_codes"
PRICE_BOOKS = "price_books"

INDEXES: list[IndexSpec] = [
    IndexSpec(PRODUCTS, (IndexModel([("code", ASCENDING)], name="code"),)),
    IndexSpec(
        PRICE_BOOKS, (IndexModel([("currency", ASCENDING), ("active", ASCENDING)], name="cur"),)
    ),
]


def product_to_doc(product: Product) -> Document:
    return {
        "_id": product.id,
        "code": product.code,
        "nameZh": product.name_zh,
        "nameEn": product.name_en,
        "unit": product.unit,
        "active": product.active,
        "version": product.version,
    }


def product_from_doc(doc: Document) -> Product:
    return Product(
        id=str(doc["_id"]),
        code=doc["code"],
        name_zh=doc["nameZh"],
        name_en=doc["nameEn"],
        unit=doc["unit"],
        active=bool(doc["active"]),
        version=int(doc["version"]),
    )


def book_to_doc(book: PriceBook) -> Document:
    return {
        "_id": book.id,
        "name": book.name,
        "currency": book.currency,
        "active": book.active,
        "prices": [
            {"productId": product, "listPrice": f"{price:f}"}
            for product, price in sorted(book.prices.items())
        ],
        "version": book.version,
    }


def book_from_doc(doc: Document) -> PriceBook:
    prices = {str(p["productId"]): Decimal(p["listPrice"]) for p in doc.get("prices") or ()}
    return PriceBook(
        id=str(doc["_id"]),
        name=doc["name"],
        currency=doc["currency"],
        active=bool(doc["active"]),
        prices=MappingProxyType(prices),
        version=int(doc["version"]),
    )


async def _replace(
    collection: Any, doc: Document, previous_version: int, what: str, session: Session
) -> None:
    result = await collection.replace_one(
        {"_id": doc["_id"], "version": previous_version}, doc, session=session
    )
    if result.matched_count != 1:
        raise Conflict(f"{what} {doc['_id']} was changed meanwhile", conflicting_id=doc["_id"])


class ProductRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._products = db[PRODUCTS]
        self._codes = db[PRODUCT_CODES]

    async def get(self, product_id: str, session: Session | None = None) -> Product | None:
        doc = await self._products.find_one({"_id": product_id}, session=session)
        return product_from_doc(doc) if doc is not None else None

    async def get_many(self, product_ids: list[str], session: Session) -> dict[str, Product]:
        cursor = self._products.find({"_id": {"$in": product_ids}}, session=session)
        return {str(d["_id"]): product_from_doc(d) async for d in cursor}

    async def add(self, product: Product, at: datetime, session: Session) -> None:
        """CONFLICT (naming the product that has it) when the code is taken."""
        taken = await self._codes.find_one({"_id": product.code}, session=session)
        if taken is not None:
            raise Conflict(
                f"Product code {product.code} is taken", conflicting_id=str(taken["productId"])
            )
        await self._codes.insert_one(
            {"_id": product.code, "productId": product.id}, session=session
        )
        doc = {**product_to_doc(product), "createdAt": at, "updatedAt": at}
        await self._products.insert_one(doc, session=session)

    async def replace(
        self, product: Product, previous_version: int, at: datetime, session: Session
    ) -> None:
        stored = await self._products.find_one(
            {"_id": product.id}, {"createdAt": 1}, session=session
        )
        doc = {**product_to_doc(product), "updatedAt": at}
        doc["createdAt"] = (stored or {}).get("createdAt", at)
        await _replace(self._products, doc, previous_version, "Product", session)


class PriceBookRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._books = db[PRICE_BOOKS]

    async def get(self, book_id: str, session: Session | None = None) -> PriceBook | None:
        doc = await self._books.find_one({"_id": book_id}, session=session)
        return book_from_doc(doc) if doc is not None else None

    async def active_in(self, currency: str, session: Session) -> list[PriceBook]:
        cursor = self._books.find({"currency": currency, "active": True}, session=session)
        return [book_from_doc(d) async for d in cursor]

    async def add(self, book: PriceBook, at: datetime, session: Session) -> None:
        doc = {**book_to_doc(book), "createdAt": at, "updatedAt": at}
        await self._books.insert_one(doc, session=session)

    async def replace(
        self, book: PriceBook, previous_version: int, at: datetime, session: Session
    ) -> None:
        stored = await self._books.find_one({"_id": book.id}, {"createdAt": 1}, session=session)
        doc = {**book_to_doc(book), "updatedAt": at}
        doc["createdAt"] = (stored or {}).get("createdAt", at)
        await _replace(self._books, doc, previous_version, "PriceBook", session)
